package browser

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// admitAndRun does what the agent's runner does: admit, then run with the
// full timeout, then release. It returns the result and how long the whole
// took, wait included.
func admitAndRun(t *testing.T, p probes.Prober, timeout time.Duration) (probes.Result, time.Duration, error) {
	t.Helper()
	t0 := time.Now()
	release, err := p.(probes.Admitter).Admit(context.Background())
	if err != nil {
		return probes.Result{}, time.Since(t0), err
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res := p.Probe(ctx, testLogger(t))
	return res, time.Since(t0), nil
}

// TestAdmittedRunsGetTheirFullTimeout runs four slow journeys on a browser
// with one slot: admitted in turn, each gets its whole timeout for itself,
// where four runs sharing their deadlines with the queue would time out.
func TestAdmittedRunsGetTheirFullTimeout(t *testing.T) {
	s := newSite(t)
	b, err := Start(context.Background(), Options{MaxConcurrentRuns: 1, MaxQueueWait: conf.Duration(time.Minute)}, t.TempDir(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// Each run takes at least the eval's wait and fits its timeout with
	// room to spare: the steps get the timeout less diagReserve, and
	// opening a tab and a page has taken more than 2 s on a loaded
	// machine, so 5 s are left for it. Four in a row take at least
	// 4 x 3 s, more than one timeout, whatever the machine's speed.
	const wait, timeout = 3 * time.Second, 10 * time.Second
	c := parseConfig(t, fmt.Sprintf(`
steps:
  - navigate: /plain
  - eval: "new Promise(r => setTimeout(() => r(true), %d))"
`, wait.Milliseconds()))
	type out struct {
		res   probes.Result
		total time.Duration
		err   error
	}
	outs := make([]out, 4)
	var wg sync.WaitGroup
	for i := range outs {
		p, err := NewNamed(b, "slow", s.URL, c)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			res, total, err := admitAndRun(t, p, timeout)
			outs[i] = out{res, total, err}
		})
	}
	wg.Wait()
	var longest time.Duration
	for i, o := range outs {
		if o.err != nil {
			t.Fatalf("run %d was not admitted: %v", i, o.err)
		}
		if !o.res.Success {
			t.Errorf("run %d: %s: %s", i, o.res.Reason, o.res.Message)
		}
		if o.res.Duration < wait || o.res.Duration > o.total {
			t.Errorf("run %d: duration %s, wait and run %s", i, o.res.Duration, o.total)
		}
		longest = max(longest, o.total)
	}
	// The last run waited for three others, longer than its timeout, and
	// passed: its duration leaves the wait out.
	if longest < 4*wait || longest < timeout {
		t.Errorf("the runs overlapped: the longest wait and run took %s", longest)
	}
	if st := b.Stats(); st.QueueTimeouts != 0 {
		t.Errorf("queue timeouts %d", st.QueueTimeouts)
	}
}

// TestNoSlotWithinTheBound holds the one slot with a page that never loads:
// the next run is not admitted within max_queue_wait and says so with
// probes.ErrNoSlot, which the agent counts as skipped, not failed.
func TestNoSlotWithinTheBound(t *testing.T) {
	s := newSite(t)
	b, err := Start(context.Background(), Options{MaxConcurrentRuns: 1, MaxQueueWait: conf.Duration(time.Second)}, t.TempDir(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	hang, err := NewNamed(b, "hang", s.URL, parseConfig(t, `steps: [{navigate: /hang}]`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan probes.Result, 1)
	go func() {
		res, _, err := admitAndRun(t, hang, 8*time.Second)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case <-s.slow:
	case <-time.After(20 * time.Second):
		t.Fatal("the page never started loading")
	}
	p, err := NewNamed(b, "plain", s.URL+"/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, _, err = admitAndRun(t, p, 5*time.Second)
	if !errors.Is(err, probes.ErrNoSlot) {
		t.Fatalf("got %v, want ErrNoSlot", err)
	}
	if took := time.Since(t0); took < time.Second || took > 5*time.Second {
		t.Errorf("gave up after %s, want about max_queue_wait (1s)", took)
	}
	const want = "no free browser slot: no free slot: 1 runs (max_concurrent_runs) held the browser for 1s (max_queue_wait)"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	// A deadline of the caller's own ends the wait the same way.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err = p.(probes.Admitter).Admit(ctx)
	cancel()
	if !errors.Is(err, probes.ErrNoSlot) {
		t.Errorf("with a deadline: %v", err)
	}
	// Cancelled is not a missing slot.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err = p.(probes.Admitter).Admit(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, probes.ErrNoSlot) {
		t.Errorf("cancelled: %v", err)
	}
	if res := <-done; res.Reason != probes.ReasonTimeout {
		t.Errorf("the hanging run: %s: %s", res.Reason, res.Message)
	}
	if st := b.Stats(); st.QueueTimeouts != 2 {
		t.Errorf("queue timeouts %d, want 2", st.QueueTimeouts)
	}

	// Once the slot is free, a run is admitted; an admitted run that never
	// happens gives its slot back.
	release, err := p.(probes.Admitter).Admit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	release()
	res, _, err := admitAndRun(t, p, 10*time.Second)
	if err != nil || !res.Success {
		t.Fatalf("after the slot freed: %v %s: %s", err, res.Reason, res.Message)
	}
}
