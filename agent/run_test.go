package agent

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
)

// A prober that ignores its deadline is recorded as timed out abandonGrace
// after it, frees its concurrency slot for other probes, and is not run
// again until it really returns.
func TestRunAbandonsProberIgnoringDeadline(t *testing.T) {
	a := New(Options{})
	lim := newLimiter(1)
	release := make(chan struct{})
	var calls atomic.Int32
	stuck := &job{state: newProbeState("stuck"), timeout: 50 * time.Millisecond,
		prober: probes.ProberFunc(func(context.Context, *slog.Logger) probes.Result {
			calls.Add(1)
			<-release // ignores ctx on purpose
			return probes.Result{Success: true}
		})}
	stuck.state.cfg = &ProbeConfig{Name: "stuck"}
	quick := &job{state: newProbeState("quick"), timeout: time.Second,
		prober: probes.ProberFunc(func(context.Context, *slog.Logger) probes.Result {
			return probes.Result{Success: true}
		})}
	quick.state.cfg = &ProbeConfig{Name: "quick"}

	stuck.state.running.Store(true)
	a.startRun(lim, stuck, time.Now())
	waitFor(t, "the abandoned run", func() bool { return stuck.state.snapshot().Runs == 1 })
	snap := stuck.state.snapshot()
	if snap.Last.Success || snap.Last.Reason != probes.ReasonTimeout {
		t.Fatalf("abandoned run recorded as success=%v reason=%q, want a timeout", snap.Last.Success, snap.Last.Reason)
	}
	if !stuck.state.running.Load() {
		t.Error("an abandoned probe must stay marked running until its prober returns")
	}

	// The one slot is free again: another probe runs.
	quick.state.running.Store(true)
	a.startRun(lim, quick, time.Now())
	waitFor(t, "the other probe", func() bool { return quick.state.snapshot().Runs == 1 })

	close(release)
	waitFor(t, "the prober to return", func() bool { return !stuck.state.running.Load() })
	a.runs.Wait()
	if n := stuck.state.snapshot().Runs; n != 1 {
		t.Errorf("the late return was recorded too: %d runs", n)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("prober called %d times", n)
	}
}
