// Package sched gives the load generators of the benchmark the same
// schedule the agent's scheduler uses for the same probe names: each probe
// at the fixed offset within its interval that the agent gives it.
// Blackbox_exporter and the bare client loop then see the same bursts the
// agent does.
package sched

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"time"

	"github.com/sloagent/sloagent/agent/schedule"
)

// Name is the name of the i-th probe in every benchmark config: its
// number and six hex digits of a hash of it, p00000-5feceb to p09999-....
//
// The hash is there for comparisons with older agents. Up to 6d24c0f the
// scheduler took a probe's offset from FNV-1a of its name, which put
// names differing only in their last digits (p00000, p00001, ...) in
// bunches tens of microseconds apart: at 1,000 such probes a second, 381
// of 999 gaps between runs were under 100 µs, where an even spread has
// about 95. Runs in bunches share their wake-ups, so such an agent cost
// about a quarter less CPU here than with names it spreads evenly, and
// its timings suffered. Under both hashes these names spread like
// random ones (TestNamesSpreadUnderEveryHash).
func Name(i int) string {
	sum := sha256.Sum256(fmt.Append(nil, i))
	return fmt.Sprintf("p%05d-%x", i, sum[:3])
}

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
