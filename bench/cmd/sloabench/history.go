package main

import (
	"time"

	"github.com/sloagent/sloagent/bench/internal/sched"
	"github.com/sloagent/sloagent/slo"
)

// writeHistory fills the state directory with 30 days of every SLO's
// history, as if each probe had run at l.interval all along and failed one
// run in a thousand, so that the agent starts with its SLO windows full:
// the memory they take at steady state, and the work a scrape does then.
func (b *bench) writeHistory(dir string, l load) error {
	start := time.Now()
	store, err := slo.OpenStore(dir, nil)
	if err != nil {
		return err
	}
	names := make([]string, l.n)
	for i := range names {
		names[i] = sloName(i)
	}
	perMinute := uint32(max(1, time.Minute/l.interval))
	end := time.Now()
	err = store.WriteHistory(names, end.Add(-30*24*time.Hour), end, func(m time.Time) (good, total uint32) {
		if m.Unix()/60%(1000/int64(perMinute)) == 0 {
			return perMinute - 1, perMinute
		}
		return perMinute, perMinute
	})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	b.logf("wrote 30 days of history for %d SLOs in %s", l.n, time.Since(start).Round(time.Millisecond))
	return err
}

// sloName is the name of probe i's SLO in the generated config.
func sloName(i int) string { return "slo-" + sched.Name(i) }
