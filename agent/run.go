package agent

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/sloagent/sloagent/probes"
)

// abandonGrace is how long past its timeout a run may take to return before
// the agent records it as timed out and frees its slot. A prober that
// ignores its context cannot hold the agent's concurrency limit forever.
const abandonGrace = 2 * time.Second

// startRun runs one probe on a worker goroutine. The scheduler has already
// marked the probe running; the run clears the mark when its prober returns.
//
// The prober runs on the worker itself, not on a goroutine of its own: a
// hand-off per run is a wait in Go's run queue per run, which at thousands
// of runs a second made runs start late. A prober that ignores its context
// is cut loose by a watchdog: abandonGrace after its deadline the run is
// recorded as timed out and its slot freed, and the worker stays with the
// prober until it returns.
func (a *Agent) startRun(lim *limiter, j *job, planned time.Time) {
	a.runs.Add(1)
	lim.workers.Go(func() {
		if !lim.acquire(a.runCtx) {
			j.state.running.Store(false)
			a.runs.Done()
			return
		}
		start := a.now()
		a.self.lag.Observe(start.Sub(planned).Seconds())
		a.self.inFlight.Inc()

		// settled is set by whichever ends the run: the prober
		// returning, or the watchdog giving up on it.
		var settled atomic.Bool
		settle := func(res probes.Result) {
			a.self.inFlight.Dec()
			lim.release()
			if a.runCtx.Err() == nil { // else cancelled by shutdown: not an outcome of the target
				a.finish(j, res, start)
			}
			a.runs.Done()
		}
		watchdog := time.AfterFunc(j.timeout+abandonGrace, func() {
			if settled.CompareAndSwap(false, true) {
				settle(abandoned(j.timeout, time.Since(start)))
			}
		})
		ctx, cancel := context.WithTimeout(a.runCtx, j.timeout)
		t0 := time.Now()
		res := completed(safeProbe(ctx, j.prober, a.log), t0)
		cancel()
		watchdog.Stop()
		// The probe is marked running until its prober really returns,
		// so it is never run twice at once, even when abandoned.
		j.state.running.Store(false)
		if settled.CompareAndSwap(false, true) {
			settle(res)
		}
	})
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

// outcome is a run's result and, for an abandoned run, the channel its
// prober will eventually return on.
type outcome struct {
	probes.Result
	late chan probes.Result
}

// execute runs prober with timeout as its deadline, for runs outside the
// schedule (once, the debug endpoint, the probe command). It returns when
// the prober does, or abandonGrace after the deadline if the prober
// ignores it.
func (a *Agent) execute(parent context.Context, prober probes.Prober, timeout time.Duration, log *slog.Logger) (outcome, bool) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	start := time.Now()
	ch := make(chan probes.Result, 1)
	go func() { ch <- safeProbe(ctx, prober, log) }()
	timer := time.NewTimer(timeout + abandonGrace)
	defer timer.Stop()
	select {
	case res := <-ch:
		return outcome{Result: completed(res, start)}, true
	case <-timer.C:
		return outcome{Result: abandoned(timeout, time.Since(start)), late: ch}, false
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

// finish records a run's outcome: metrics, logs and SLO events.
func (a *Agent) finish(j *job, res probes.Result, start time.Time) {
	st := j.state
	changed, first := st.record(res, start)
	if !res.Success {
		attrs := []any{"probe", st.name, "reason", res.Reason, "msg", res.Message,
			"duration", res.Duration.Round(time.Microsecond)}
		if len(res.Diagnostics) > 0 {
			attrs = append(attrs, "diagnostics", res.Diagnostics)
		}
		a.log.Warn("probe failed", attrs...)
	}
	switch {
	case changed && res.Success:
		a.log.Info("probe recovered", "probe", st.name)
	case changed:
		a.log.Info("probe started failing", "probe", st.name, "reason", res.Reason)
	case first:
		a.log.Debug("probe ran for the first time", "probe", st.name, "success", res.Success)
	}
	a.observe(j, res, start)
}
