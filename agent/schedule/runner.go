package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sloagent/sloagent/probes"
)

// abandonGrace is how long past its timeout a run may take to return before
// the runner records it as timed out and frees its slot. A prober that
// ignores its context cannot hold the agent's concurrency limit forever.
const abandonGrace = 2 * time.Second

// Run is one run of a probe, as the scheduler, `once`, the debug endpoint
// and `sloagent probe` hand it to the Runner.
type Run struct {
	Probe   string
	Kind    string
	Prober  probes.Prober
	Timeout time.Duration
	// Planned is when the run was due; the lag is measured from it.
	// Zero for runs outside the schedule.
	Planned time.Time
	// Log receives the prober's log; nil means the runner's.
	Log *slog.Logger
	// Running, when set, is the probe's "a run is in flight" mark: a run
	// of a probe already running is skipped, and the mark is cleared
	// when the prober really returns, even after the watchdog gave up
	// on it, so a probe never runs twice at once.
	Running *atomic.Bool
	// Record, when set, records the outcome (the probe's state, SLO
	// events, logs). A debug run has none: it never counts.
	Record func(Outcome)
	// Skip, when set, is told about a run that did not start: the probe
	// was still running, or its kind had no free slot (a browser).
	Skip func(why error)
}

// ErrBusy is why a run of a probe whose previous run is still in flight
// is skipped.
var ErrBusy = errors.New("the previous run is still in flight")

// Outcome is what became of a run.
type Outcome struct {
	probes.Result
	// Start is when the prober was called; Result.Duration is measured
	// from there, so a wait for a slot is not part of it.
	Start time.Time
	// Abandoned is set when the prober ignored its deadline and the
	// watchdog recorded the run as timed out.
	Abandoned bool
	// Skipped is why a run did not start; its Result is empty.
	Skipped error
}

// Runner turns a planned run into a recorded result: it waits for a slot
// under the agent's concurrency limit (and for the kind's own, such as a
// browser slot, without charging that wait to the run's timeout), runs the
// prober under its deadline on a kept worker goroutine, cuts loose a prober
// that ignores the deadline, and records the outcome.
type Runner struct {
	ctx  context.Context // cancelled by Stop: ends every run
	stop context.CancelFunc
	log  *slog.Logger
	m    *Metrics

	mu  sync.Mutex
	lim *limiter
	wg  sync.WaitGroup
}

// NewRunner returns a runner allowing limit runs at once.
func NewRunner(limit int, m *Metrics, log *slog.Logger) *Runner {
	ctx, cancel := context.WithCancel(context.Background())
	if m == nil {
		m = &Metrics{}
	}
	return &Runner{ctx: ctx, stop: cancel, log: log, m: m, lim: newLimiter(limit)}
}

// SetLimit changes how many runs may be in flight at once; runs in flight
// keep the slots they hold.
func (r *Runner) SetLimit(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cap(r.lim.slots) != n {
		r.lim = newLimiter(n)
	}
}

func (r *Runner) limiter() *limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lim
}

// Stop cancels every run in flight; their outcomes are not recorded (a
// shutdown is not an outcome of the target).
func (r *Runner) Stop() { r.stop() }

// Wait waits for the runs started to end, at most until ctx is done, and
// reports whether they did.
func (r *Runner) Wait(ctx context.Context) bool {
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// Start runs run on a worker goroutine and returns at once; the outcome
// goes to run.Record.
//
// The prober runs on the worker itself, not on a goroutine of its own: a
// hand-off per run is a wait in Go's run queue per run, which at thousands
// of runs a second made runs start late.
func (r *Runner) Start(run Run) {
	if !r.claim(&run) {
		return
	}
	lim := r.limiter()
	r.wg.Add(1)
	lim.workers.Go(func() {
		defer r.wg.Done()
		r.execute(r.ctx, lim, run, func(o Outcome) {
			if o.Skipped == nil && r.ctx.Err() == nil && run.Record != nil {
				run.Record(o)
			}
		})
	})
}

// Do runs run and returns its outcome, recording it if run.Record is set.
// It returns when the prober does, or abandonGrace after the deadline if
// the prober ignores it. ctx cancels the run (a debug request that went
// away).
func (r *Runner) Do(ctx context.Context, run Run) Outcome {
	if !r.claim(&run) {
		return Outcome{Skipped: ErrBusy}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(r.ctx, cancel)
	defer stop()
	lim := r.limiter()
	ch := make(chan Outcome, 1)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.execute(ctx, lim, run, func(o Outcome) { ch <- o })
	}()
	o := <-ch
	if o.Skipped == nil && r.ctx.Err() == nil && run.Record != nil {
		run.Record(o)
	}
	return o
}

// claim marks the probe running, or reports and skips a run of a probe
// that is.
func (r *Runner) claim(run *Run) bool {
	if run.Running == nil || run.Running.CompareAndSwap(false, true) {
		return true
	}
	if run.Skip != nil {
		run.Skip(ErrBusy)
	}
	return false
}

// execute runs the prober on the calling goroutine and calls settle once
// with the outcome: when the prober returns, or, if it ignores its
// deadline, from the watchdog abandonGrace after it. The probe stays
// marked running until the prober really returns; when it has, the mark
// is cleared before settle, so that whoever receives the outcome (the
// reply to a run from the web) can start the next run at once.
func (r *Runner) execute(ctx context.Context, lim *limiter, run Run, settle func(Outcome)) {
	notRunning := func() {
		if run.Running != nil {
			run.Running.Store(false)
		}
	}
	if !lim.acquire(ctx) {
		notRunning()
		settle(Outcome{Skipped: fmt.Errorf("cancelled before it started: %w", ctx.Err())})
		return
	}
	// The slot and the in-flight count go with the outcome: a prober cut
	// loose by the watchdog no longer holds them.
	var settled atomic.Bool
	finish := func(o Outcome, inFlight, returned bool) {
		if !settled.CompareAndSwap(false, true) {
			if returned { // after the watchdog gave its outcome
				notRunning()
			}
			return
		}
		if inFlight && r.m.InFlight != nil {
			r.m.InFlight.Dec()
		}
		lim.release()
		if returned {
			notRunning()
		}
		settle(o)
	}
	admitted := func() {}
	if a, ok := run.Prober.(probes.Admitter); ok {
		t0 := time.Now()
		release, err := a.Admit(ctx)
		if r.m.Wait != nil {
			r.m.Wait.WithLabelValues(run.Kind).Observe(time.Since(t0).Seconds())
		}
		if err != nil {
			if errors.Is(err, probes.ErrNoSlot) || ctx.Err() != nil {
				if run.Skip != nil {
					run.Skip(err)
				}
				finish(Outcome{Skipped: err}, false, true)
				return
			}
			finish(Outcome{Result: probes.Fail(probes.ReasonInternal, err.Error()), Start: time.Now()}, false, true)
			return
		}
		// The kind's slot is given back when the prober really returns:
		// one cut loose may still be using it.
		admitted = release
	}
	log := run.Log
	if log == nil {
		log = r.log.With("probe", run.Probe)
	}
	start := time.Now()
	if !run.Planned.IsZero() && r.m.Lag != nil {
		r.m.Lag.Observe(start.Sub(run.Planned).Seconds())
	}
	if r.m.InFlight != nil {
		r.m.InFlight.Inc()
	}
	watchdog := time.AfterFunc(run.Timeout+abandonGrace, func() {
		finish(Outcome{Result: abandoned(run.Timeout, time.Since(start)), Start: start, Abandoned: true}, true, false)
	})
	rctx, cancel := context.WithTimeout(ctx, run.Timeout)
	res := completed(safeProbe(rctx, run.Prober, log), start)
	cancel()
	watchdog.Stop()
	admitted()
	finish(Outcome{Result: res, Start: start}, true, true)
}

// completed fills in what a prober may leave out of its result.
func completed(res probes.Result, start time.Time) probes.Result {
	if res.Duration == 0 {
		res.Duration = time.Since(start)
	}
	if !res.Success && res.Reason == "" {
		res.Reason = probes.ReasonInternal
	}
	return res
}

// abandoned is the result of a run whose prober ignored its timeout.
func abandoned(timeout, took time.Duration) probes.Result {
	return probes.Result{
		Reason:   probes.ReasonTimeout,
		Message:  fmt.Sprintf("probe did not return within its %s timeout", timeout),
		Duration: took,
	}
}

// safeProbe turns a panicking prober into a failed run.
func safeProbe(ctx context.Context, p probes.Prober, log *slog.Logger) (res probes.Result) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("probe panicked", "panic", r, "stack", string(debug.Stack()))
			res = probes.Fail(probes.ReasonInternal, fmt.Sprintf("probe panicked: %v", r))
		}
	}()
	if p == nil {
		return probes.Fail(probes.ReasonInternal, "probe has no prober")
	}
	return p.Probe(ctx, log)
}

// Metrics are where the runner reports: how late runs start, how many are
// in flight, and how long runs waited for a slot of their kind. The agent
// owns the series, with its other health metrics; a nil one is not
// reported.
type Metrics struct {
	Lag      prometheus.Observer
	InFlight prometheus.Gauge
	Wait     *prometheus.HistogramVec
}

// limiter bounds the runs in flight across all probes.
type limiter struct {
	slots chan struct{}
	// workers run the runs, keeping grown stacks from one to the next.
	workers *workers
}

func newLimiter(n int) *limiter {
	return &limiter{slots: make(chan struct{}, n), workers: newWorkers(workerIdle)}
}

func (l *limiter) acquire(ctx context.Context) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (l *limiter) release() { <-l.slots }
