// Package schedule runs probes: the scheduler that starts each probe's runs
// at its interval, the one Runner that every run goes through (scheduled,
// `once`, the debug endpoint, `sloagent probe`), the workers and limit
// that runs share, and shards of a probe list split across agents.
package schedule

import (
	"container/heap"
	"context"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Job is one probe for the scheduler: its run (without Planned, which the
// scheduler sets), its interval, and when it last ran, zero if it never
// did (see firstRun).
type Job struct {
	Run      Run
	Interval time.Duration
	Last     time.Time
}

// job is a Job in the scheduler's heap, without its last run, which only
// places the first (24 bytes a probe).
type job struct {
	Run      Run
	Interval time.Duration
	offset   time.Duration
	next     time.Time
	early    bool // next is a first run ahead of the probe's slot
}

// Scheduler starts each probe's runs at its interval. A probe's runs fall
// at a stable offset within the interval, derived from its name and aligned
// to the wall clock, so probes spread over the interval instead of firing
// together, and a restart or reload keeps each probe's phase.
//
// One goroutine waits for the next due run and hands it to the Runner; a
// run whose probe is still busy is skipped and counted, never started
// twice.
type Scheduler struct {
	jobs  jobHeap
	start func(Run)
	now   func() time.Time
}

// New returns a scheduler of jobs that starts runs with start (the
// Runner's Start), reading the time from now.
func New(jobs []Job, now func() time.Time, start func(Run)) *Scheduler {
	s := &Scheduler{start: start, now: now}
	t := now()
	for _, jb := range jobs {
		j := &job{Run: jb.Run, Interval: jb.Interval, offset: Offset(jb.Run.Probe, jb.Interval)}
		j.next, j.early = firstRun(t, jb.Interval, j.offset, jb.Last)
		s.jobs = append(s.jobs, j)
	}
	heap.Init(&s.jobs)
	return s
}

// startWindow is how soon after the scheduler starts a probe that never
// ran has its first result: a tenth of its interval, at most 30 s, but
// never under 5 s where the interval is longer: probes of a few seconds
// simply run in their slots. Squeezing every first run into a tenth of a
// short interval made the start a burst of ten times the agent's rate
// (4,000 probes of 1 s started 4,000 runs in 100 ms, a rate of 40,000/s),
// where a window of 5 s asks at most twice the rate of probes of 10 s.
func startWindow(interval time.Duration) time.Duration {
	return min(max(interval/10, min(interval, minStartWindow)), 30*time.Second)
}

// minStartWindow is the shortest start window of a probe whose interval
// is longer.
const minStartWindow = 5 * time.Second

// firstRun is when a probe first runs once the scheduler starts at t, and
// whether that is ahead of its slot.
//
// A probe that never ran runs in its slot if that comes within its start
// window, else early in the window, in the order of the slots: first runs
// spread evenly over the window, and
// a new hourly probe does not wait up to an hour for its first result. Its
// next run is then its first slot a whole interval on (see following), so
// in the first interval after a start each probe runs once: its target
// sees its interval's share and no more, where early runs followed by the
// slots in the same interval used to make 14,000 requests in the first
// minute of 10,000 probes of a minute.
//
// A probe that ran before (a reload) keeps its slots, but never runs again
// within half an interval of its last run.
func firstRun(t time.Time, interval, offset time.Duration, last time.Time) (time.Time, bool) {
	slot := nextSlot(t, interval, offset)
	if !last.IsZero() {
		if soonest := last.Add(interval / 2); slot.Before(soonest) {
			slot = nextSlot(soonest.Add(-1), interval, offset)
		}
		return slot, false
	}
	w := startWindow(interval)
	wait := slot.Sub(t)
	if wait <= w {
		return slot, false
	}
	// The probes whose slots come later share the window in the order of
	// their slots, beside those whose slots are in it.
	return t.Add(time.Duration(float64(w) * float64(wait-w) / float64(interval-w))), true
}

// following is the slot of the run after one planned for planned: one
// interval on from a run in its slot, and after an early first run the
// first slot at least a whole interval on.
func following(planned time.Time, interval, offset time.Duration, early bool) time.Time {
	if early {
		return nextSlot(planned.Add(interval-1), interval, offset)
	}
	return nextSlot(planned.Add(interval/2), interval, offset)
}

// Offset is where within its interval a probe named name runs: a hash of
// the name, so that probes spread over the interval and each keeps its
// phase across restarts and reloads. The benchmark's load generators use
// it to follow the agent's schedule.
//
// The hash must change all its bits when the name changes in its last
// character, as names of probes often do (web-1, web-2). FNV-1a, used
// before, does not: the last byte only moves the hash by a multiple of its
// prime, so p00000 to p00019 fell in two tenths of a second, in pairs 40 µs
// apart, and each pair's runs started together and shared the agent, the
// machine and the target, measured +0.85 ms ± 1.21 against +0.58 ± 0.72
// for runs with no other run within 20 ms. xxhash mixes every byte
// through, so offsets fall as at random.
func Offset(name string, interval time.Duration) time.Duration {
	return time.Duration(xxhash.Sum64String(name) % uint64(interval))
}

// nextSlot is the first time after t that is offset past a multiple of
// interval since the Unix epoch.
func nextSlot(t time.Time, interval, offset time.Duration) time.Time {
	base := t.Add(-offset).Truncate(interval).Add(offset)
	if !base.After(t) {
		base = base.Add(interval)
	}
	return base
}

// Run dispatches runs until ctx is done.
func (s *Scheduler) Run(ctx context.Context) {
	if len(s.jobs) == 0 {
		<-ctx.Done()
		return
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		j := s.jobs[0]
		if d := j.next.Sub(s.now()); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			continue // re-check: the clock may have jumped
		}
		planned := j.next
		run := j.Run
		run.Planned = planned
		s.start(run)
		// Plan the next run from the slot, not from now, so a late
		// dispatch does not shift the probe's phase; slots missed by
		// a long stall are dropped rather than run in a burst.
		j.next = following(planned, j.Interval, j.offset, j.early)
		j.early = false
		if now := s.now(); !j.next.After(now) {
			j.next = nextSlot(now, j.Interval, j.offset)
		}
		heap.Fix(&s.jobs, 0)
		if ctx.Err() != nil {
			return
		}
	}
}

type jobHeap []*job

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)        { *h = append(*h, x.(*job)) }
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	*h = old[:len(old)-1]
	return j
}
