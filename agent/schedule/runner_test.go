package schedule

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/probes"
)

// outcomes records the outcomes of a probe's runs.
type outcomes struct {
	mu   sync.Mutex
	list []Outcome
}

func (o *outcomes) record(out Outcome) {
	o.mu.Lock()
	o.list = append(o.list, out)
	o.mu.Unlock()
}

func (o *outcomes) all() []Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Outcome(nil), o.list...)
}

// A prober that ignores its deadline is recorded as timed out abandonGrace
// after it, frees its concurrency slot for other probes, and is not run
// again until it really returns.
func TestRunAbandonsProberIgnoringDeadline(t *testing.T) {
	r := NewRunner(1, nil, slog.New(slog.DiscardHandler))
	release := make(chan struct{})
	var calls atomic.Int32
	var stuckBusy, quickBusy atomic.Bool
	var stuckOut, quickOut outcomes
	stuck := Run{Probe: "stuck", Timeout: 50 * time.Millisecond, Running: &stuckBusy, Record: stuckOut.record,
		Prober: probes.ProberFunc(func(context.Context, *slog.Logger) probes.Result {
			calls.Add(1)
			<-release // ignores ctx on purpose
			return probes.Result{Success: true}
		})}
	quick := Run{Probe: "quick", Timeout: time.Second, Running: &quickBusy, Record: quickOut.record,
		Prober: probes.ProberFunc(func(context.Context, *slog.Logger) probes.Result {
			return probes.Result{Success: true}
		})}

	r.Start(stuck)
	testutil.WaitFor(t, "the abandoned run", func() bool { return len(stuckOut.all()) == 1 })
	out := stuckOut.all()[0]
	if out.Success || out.Reason != probes.ReasonTimeout || !out.Abandoned {
		t.Fatalf("abandoned run recorded as success=%v reason=%q abandoned=%v, want a timeout", out.Success, out.Reason, out.Abandoned)
	}
	if !stuckBusy.Load() {
		t.Error("an abandoned probe must stay marked running until its prober returns")
	}

	// The one slot is free again: another probe runs.
	r.Start(quick)
	testutil.WaitFor(t, "the other probe", func() bool { return len(quickOut.all()) == 1 })

	// The synchronous path gives up on the prober the same way.
	var skipped atomic.Int32
	stuck.Skip = func(error) { skipped.Add(1) }
	if o := r.Do(context.Background(), stuck); !errors.Is(o.Skipped, ErrBusy) || skipped.Load() != 1 {
		t.Errorf("a run of a busy probe: skipped %v (%d told)", o.Skipped, skipped.Load())
	}

	close(release)
	testutil.WaitFor(t, "the prober to return", func() bool { return !stuckBusy.Load() })
	r.Wait(context.Background())
	if n := len(stuckOut.all()); n != 1 {
		t.Errorf("the late return was recorded too: %d runs", n)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("prober called %d times", n)
	}
}

// Do returns the prober's result, or the abandoned one when it hangs; it
// records only when asked to.
func TestDoRecordsOnlyWhenAsked(t *testing.T) {
	r := NewRunner(2, nil, slog.New(slog.DiscardHandler))
	var recorded outcomes
	ok := probes.ProberFunc(func(context.Context, *slog.Logger) probes.Result {
		return probes.Result{Success: true, Message: "fine"}
	})
	if o := r.Do(context.Background(), Run{Probe: "debug", Prober: ok, Timeout: time.Second}); !o.Success || o.Message != "fine" {
		t.Errorf("outcome %+v", o)
	}
	o := r.Do(context.Background(), Run{Probe: "counted", Prober: ok, Timeout: time.Second, Record: recorded.record})
	if got := recorded.all(); len(got) != 1 || got[0].Start != o.Start {
		t.Errorf("recorded %+v for outcome %+v", got, o)
	}
	hang := make(chan struct{})
	defer close(hang)
	o = r.Do(context.Background(), Run{Probe: "hangs", Timeout: 10 * time.Millisecond,
		Prober: probes.ProberFunc(func(context.Context, *slog.Logger) probes.Result { <-hang; return probes.Result{} })})
	if !o.Abandoned || o.Reason != probes.ReasonTimeout {
		t.Errorf("hanging prober: %+v", o)
	}
}

// admitter is a prober with one slot of its own, like a browser.
type admitter struct {
	slot chan struct{}
	wait time.Duration
}

func (a *admitter) Admit(ctx context.Context) (func(), error) {
	t := time.NewTimer(a.wait)
	defer t.Stop()
	select {
	case a.slot <- struct{}{}:
		return func() { <-a.slot }, nil
	case <-t.C:
		return nil, probes.ErrNoSlot
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (a *admitter) Probe(ctx context.Context, _ *slog.Logger) probes.Result {
	t := time.NewTimer(60 * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return probes.Result{Success: true}
	case <-ctx.Done():
		return probes.Fail(probes.ReasonTimeout, "timed out")
	}
}

// The wait for a kind's own slot is not charged to the run's timeout, and a
// run that gets no slot is skipped, not failed.
func TestAdmissionWaitIsNotTheRunsTime(t *testing.T) {
	r := NewRunner(10, nil, slog.New(slog.DiscardHandler))
	a := &admitter{slot: make(chan struct{}, 1), wait: time.Second}
	var wg sync.WaitGroup
	outs := make([]Outcome, 4)
	for i := range outs {
		wg.Go(func() {
			// Each run takes 60 ms of its 100 ms; queued behind the
			// others, a run waits up to 180 ms for the slot.
			outs[i] = r.Do(context.Background(), Run{Probe: "journey", Prober: a, Timeout: 100 * time.Millisecond})
		})
	}
	wg.Wait()
	for i, o := range outs {
		if !o.Success || o.Duration > 100*time.Millisecond {
			t.Errorf("run %d: %+v; want each to succeed within its own timeout", i, o)
		}
	}

	a.wait = 10 * time.Millisecond
	a.slot <- struct{}{} // taken for good
	var skipped atomic.Int32
	o := r.Do(context.Background(), Run{Probe: "journey", Prober: a, Timeout: time.Second, Skip: func(error) { skipped.Add(1) }})
	if !errors.Is(o.Skipped, probes.ErrNoSlot) || o.Reason != "" || skipped.Load() != 1 {
		t.Errorf("no slot: %+v (skipped told %d times); want a skipped run", o, skipped.Load())
	}
}

// When Do returns, the probe is no longer marked running, nor holds its
// kind's slot: a run from the web answered, the next one may start at
// once rather than be refused as busy. A prober cut loose by the watchdog
// keeps the mark until it really returns.
func TestDoReturnsWithTheProbeFree(t *testing.T) {
	r := NewRunner(2, nil, slog.New(slog.DiscardHandler))
	var running atomic.Bool
	ok := probes.ProberFunc(func(context.Context, *slog.Logger) probes.Result { return probes.Result{Success: true} })
	slotted := &admitter{slot: make(chan struct{}, 1), wait: time.Second}
	for i := range 1000 {
		if o := r.Do(context.Background(), Run{Probe: "p", Prober: ok, Timeout: time.Second, Running: &running}); o.Skipped != nil {
			t.Fatalf("run %d skipped: %v", i, o.Skipped)
		}
		if running.Load() {
			t.Fatalf("run %d: the probe is still marked running after Do returned", i)
		}
	}
	for i := range 20 {
		if o := r.Do(context.Background(), Run{Probe: "a", Prober: slotted, Timeout: time.Second, Running: &running}); o.Skipped != nil || !o.Success {
			t.Fatalf("run %d of a prober with a slot of its own: %+v", i, o)
		}
		if len(slotted.slot) != 0 || running.Load() {
			t.Fatalf("run %d: the slot or the mark is still held after Do returned", i)
		}
	}

	hang := make(chan struct{})
	o := r.Do(context.Background(), Run{Probe: "hangs", Timeout: 10 * time.Millisecond, Running: &running,
		Prober: probes.ProberFunc(func(context.Context, *slog.Logger) probes.Result { <-hang; return probes.Result{} })})
	if !o.Abandoned || !running.Load() {
		t.Errorf("a prober cut loose: outcome %+v, marked running %v", o, running.Load())
	}
	close(hang)
	testutil.WaitFor(t, "the cut-loose prober's mark to clear", func() bool { return !running.Load() })
}
