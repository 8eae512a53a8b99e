// Package sched gives the load generators of the benchmark the same
// schedule the agent's scheduler uses for the same probe names: each probe
// at the fixed offset within its interval that the agent gives it.
// Blackbox_exporter and the bare client loop then see the same bursts the
// agent does.
package sched

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sloagent/sloagent/agent/schedule"
)

// Name is the name of the i-th probe in every benchmark config.
func Name(i int) string { return fmt.Sprintf("p%05d", i) }

// Offsets returns the sorted offsets within interval of n probes.
func Offsets(n int, interval time.Duration) []time.Duration {
	offs := make([]time.Duration, n)
	for i := range offs {
		offs[i] = schedule.Offset(Name(i), interval)
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	return offs
}

// Run calls fire at every planned time of every probe until ctx is done.
// fire must not block: it is called on the schedule's goroutine, as the
// agent's scheduler hands each run to a goroutine of its own.
func Run(ctx context.Context, n int, interval time.Duration, fire func(planned time.Time)) {
	if n == 0 {
		<-ctx.Done()
		return
	}
	offs := Offsets(n, interval)
	base := time.Now().Truncate(interval).Add(interval)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for cycle := time.Duration(0); ; cycle++ {
		for _, off := range offs {
			planned := base.Add(cycle*interval + off)
			if d := time.Until(planned); d > 0 {
				timer.Reset(d)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			} else if ctx.Err() != nil {
				return
			}
			fire(planned)
		}
	}
}
