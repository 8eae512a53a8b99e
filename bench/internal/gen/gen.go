// Package gen drives HTTP requests on the agent's schedule for the systems
// of the benchmark that have no scheduler of their own: the bare net/http
// loop (the floor) and blackbox_exporter's /probe endpoint. It keeps the
// figures the benchmark compares: runs, failures, timeouts and lag.
package gen

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sloagent/sloagent/bench/internal/lag"
	"github.com/sloagent/sloagent/bench/internal/sched"
)

// Stats are the counts since the generator started.
type Stats struct {
	Runs     uint64   `json:"runs"`
	Failures uint64   `json:"failures"` // timeouts included
	Timeouts uint64   `json:"timeouts"`
	Lag      lag.Hist `json:"lag"`
	// Durations are the reported durations of every run, kept only when
	// asked for (the accuracy measurement).
	Durations []Duration `json:"durations,omitempty"`
}

// Duration is what one run reported, in seconds.
type Duration struct {
	Total float64 `json:"total"`
	// Server is processing plus transfer: from the connection being
	// ready to the body read. Zero where the system does not report it.
	Server float64 `json:"server,omitempty"`
	// Start is when the run began, in Unix nanoseconds: the accuracy
	// measurement finds the target's request of the run by it.
	Start int64 `json:"start,omitempty"`
}

// Outcome is what a system returned for one run.
type Outcome struct {
	OK, Timeout bool
	Duration
	// Lag is how late the run started; negative means "measure it as
	// the start of the call minus the planned time".
	Lag time.Duration
}

// Runner does one run; it is called on a goroutine of its own and must
// return by the deadline of ctx or shortly after.
type Runner func(ctx context.Context, planned time.Time) Outcome

// Generator calls a Runner on the schedule of n probes every interval.
type Generator struct {
	N        int
	Interval time.Duration
	Timeout  time.Duration
	Record   bool
	Run      Runner

	runs, failures, timeouts atomic.Uint64
	lag                      lag.Recorder
	mu                       sync.Mutex
	durations                []Duration
}

// Start runs the schedule until ctx is done.
func (g *Generator) Start(ctx context.Context) {
	go sched.Run(ctx, g.N, g.Interval, func(planned time.Time) {
		go g.one(ctx, planned)
	})
}

func (g *Generator) one(parent context.Context, planned time.Time) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(parent, g.Timeout)
	defer cancel()
	o := g.Run(ctx, planned)
	if parent.Err() != nil {
		return // stopping: not an outcome
	}
	if o.Lag < 0 {
		o.Lag = start.Sub(planned)
	}
	g.lag.Observe(o.Lag)
	g.runs.Add(1)
	if !o.OK {
		g.failures.Add(1)
	}
	if o.Timeout {
		g.timeouts.Add(1)
	}
	if g.Record && o.OK {
		o.Start = start.UnixNano()
		g.mu.Lock()
		g.durations = append(g.durations, o.Duration)
		g.mu.Unlock()
	}
}

// Stats returns the counts so far.
func (g *Generator) Stats() Stats {
	s := Stats{Runs: g.runs.Load(), Failures: g.failures.Load(), Timeouts: g.timeouts.Load(), Lag: g.lag.Snapshot()}
	g.mu.Lock()
	s.Durations = append([]Duration(nil), g.durations...)
	g.mu.Unlock()
	return s
}

// isTimeout reports whether err is the run's deadline passing.
func isTimeout(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
