package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
)

func TestNextSlotIsAlignedAndAfter(t *testing.T) {
	iv, off := 10*time.Second, 3*time.Second
	now := time.Date(2026, 11, 26, 10, 0, 4, 0, time.UTC)
	got := nextSlot(now, iv, off)
	if want := time.Date(2026, 11, 26, 10, 0, 13, 0, time.UTC); !got.Equal(want) {
		t.Errorf("nextSlot = %s, want %s", got, want)
	}
	// Exactly on a slot: the next one, never now.
	if got := nextSlot(got, iv, off); !got.Equal(time.Date(2026, 11, 26, 10, 0, 23, 0, time.UTC)) {
		t.Errorf("nextSlot on a slot = %s", got)
	}
}

func TestOffsetsSpreadProbes(t *testing.T) {
	iv := time.Minute
	buckets := map[time.Duration]int{}
	for i := 0; i < 600; i++ {
		off := Offset("probe-"+string(rune('a'+i%26))+time.Duration(i).String(), iv)
		if off < 0 || off >= iv {
			t.Fatalf("offset %s outside [0, %s)", off, iv)
		}
		buckets[off/(6*time.Second)]++
	}
	// 600 probes over 10 six-second buckets: none may be empty or hold
	// most of them.
	for b := time.Duration(0); b < 10; b++ {
		if n := buckets[b]; n < 20 || n > 120 {
			t.Errorf("bucket %d holds %d of 600 probes", b, n)
		}
	}
	if Offset("x", iv) != Offset("x", iv) {
		t.Error("offset is not stable")
	}
}

// Names that differ only in their last characters, as a config's often
// do, still spread as if at random: runs starting together share the
// machine and the target, and time each other's requests.
func TestOffsetsSpreadSimilarNames(t *testing.T) {
	for _, c := range []struct {
		format   string
		n        int
		interval time.Duration
	}{
		{"p%05d", 20, time.Second},
		{"p%05d", 100, time.Second},
		{"web-%d", 100, time.Minute},
		{"api-%d", 100, time.Minute},
	} {
		offs := make([]time.Duration, c.n)
		for i := range offs {
			offs[i] = Offset(fmt.Sprintf(c.format, i), c.interval)
		}
		slices.Sort(offs)
		// At random, a gap between neighbours is below a thousandth of
		// the interval with probability 1-e^(-n/1000).
		close := 0
		for i := 1; i < len(offs); i++ {
			if offs[i]-offs[i-1] < c.interval/1000 {
				close++
			}
		}
		want := float64(c.n-1) * (1 - math.Exp(-float64(c.n)/1000))
		if float64(close) > 2*want+2 {
			t.Errorf("%s, %d probes every %s: %d neighbours within %s of each other, at random about %.1f",
				c.format, c.n, c.interval, close, c.interval/1000, want)
		}
	}
}

// Runs of many probes fall evenly over the interval from the second
// interval on, whatever the phase of the start time within the interval;
// in the first, every probe runs once, within its start window.
func TestRunsSpreadEvenlyOverInterval(t *testing.T) {
	const n, buckets = 4000, 10
	for _, iv := range []time.Duration{time.Second, time.Minute, time.Hour} {
		for _, phase := range []time.Duration{0, iv * 15 / 100, iv / 2, iv * 85 / 100} {
			start := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(phase)
			// counts[r][b]: runs of round r (the second and third) in
			// bucket b of the interval that follows start + r intervals.
			var counts [3][buckets]int
			var window [buckets]int
			for i := range n {
				off := Offset(fmt.Sprintf("p%05d", i), iv)
				next, early := firstRun(start, iv, off, time.Time{})
				if d := next.Sub(start); d < 0 || d > startWindow(iv) {
					t.Fatalf("%s, phase %s: probe %d first runs %s after the start, want within %s", iv, phase, i, d, startWindow(iv))
				} else {
					window[min(buckets-1, int(d*buckets/startWindow(iv)))]++
				}
				for r := range counts {
					prev := next
					next = following(next, iv, off, early)
					early = false
					if d := next.Sub(prev); d < iv/2 {
						t.Fatalf("%s: probe %d runs twice within %s", iv, i, d)
					}
					from := start.Add(time.Duration(r+1) * iv)
					if r == 0 && next.Before(from) {
						t.Fatalf("%s, phase %s: probe %d runs twice in the first interval", iv, phase, i)
					}
					if d := next.Sub(from); d >= 0 && d < iv {
						counts[r][d*buckets/iv]++
					}
				}
			}
			for b, k := range window {
				if k < n/buckets/2 {
					t.Errorf("%s, phase %s: %d first runs in tenth %d of the start window: %v", iv, phase, k, b, window)
					break
				}
			}
			for r, c := range counts[:2] {
				for b, k := range c {
					if k < n/buckets*3/4 || k > n/buckets*5/4 {
						t.Errorf("%s, phase %s, round %d: %d runs in tenth %d of the interval, want about %d: %v", iv, phase, r+2, k, b, n/buckets, c)
						break
					}
				}
			}
		}
	}
}

// A probe that never ran and has a long interval runs within its start
// window, then in its own slots, the first a whole interval on.
func TestLongIntervalProbeRunsSoonThenInSlot(t *testing.T) {
	iv := time.Hour
	off := Offset("hourly", iv)
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(off + time.Second) // just past its slot
	first, early := firstRun(start, iv, off, time.Time{})
	if d := first.Sub(start); !early || d < 0 || d >= 30*time.Second {
		t.Fatalf("first run %s after start (early %v), want early within 30s", d, early)
	}
	second := following(first, iv, off, early)
	if second != nextSlot(first.Add(iv), iv, off) && second != first.Add(iv) || second.Sub(first) < iv {
		t.Errorf("second run at %s, %s after the first; want its first slot an interval on", second, second.Sub(first))
	}
	if third := following(second, iv, off, false); third.Sub(second) != iv {
		t.Errorf("third run %s after the second, want %s", third.Sub(second), iv)
	}
}

// After a reload a probe keeps its slot, but never runs within half an
// interval of its last run.
func TestReloadKeepsSlotsNotTooSoon(t *testing.T) {
	iv := time.Minute
	off := Offset("p", iv)
	slot := nextSlot(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), iv, off)
	// Ran in its slot; reloaded a second later: the next slot.
	if got, _ := firstRun(slot.Add(time.Second), iv, off, slot); got != slot.Add(iv) {
		t.Errorf("after a run in its slot: next at %s, want %s", got.Sub(slot), iv)
	}
	// Ran early, 10 s before its slot: that slot is too soon.
	if got, early := firstRun(slot.Add(-9*time.Second), iv, off, slot.Add(-10*time.Second)); early || got != slot.Add(iv) {
		t.Errorf("after an early run: next %s after the slot, want %s", got.Sub(slot), iv)
	}
	// Ran 40 s before its slot: the slot is more than half an interval on.
	if got, _ := firstRun(slot.Add(-30*time.Second), iv, off, slot.Add(-40*time.Second)); got != slot {
		t.Errorf("after a run 40s before the slot: next %s after the slot, want the slot", got.Sub(slot))
	}
}

// A probe slower than its interval is skipped, never run twice at once.
func TestSchedulerSkipsBusyProbe(t *testing.T) {
	var running, maxRunning, started, skipped atomic.Int32
	var busy atomic.Bool
	prober := probes.ProberFunc(func(ctx context.Context, _ *slog.Logger) probes.Result {
		n := running.Add(1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(70 * time.Millisecond) // ignores ctx on purpose
		running.Add(-1)
		return probes.Result{Success: true}
	})
	r := NewRunner(10, nil, slog.New(slog.DiscardHandler))
	run := Run{Probe: "slow", Prober: prober, Timeout: 15 * time.Millisecond, Running: &busy,
		Record: func(Outcome) { started.Add(1) },
		Skip:   func(error) { skipped.Add(1) }}
	s := New([]Job{{Run: run, Interval: 20 * time.Millisecond}}, time.Now, r.Start)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	s.Run(ctx)
	r.Wait(context.Background())
	if maxRunning.Load() != 1 {
		t.Errorf("probe ran %d times at once", maxRunning.Load())
	}
	if started.Load() == 0 || skipped.Load() == 0 {
		t.Errorf("started %d, skipped %d: want both", started.Load(), skipped.Load())
	}
}

func TestSchedulerStopsPromptly(t *testing.T) {
	s := New([]Job{{Run: Run{Probe: "p", Timeout: time.Minute}, Interval: time.Hour}}, time.Now, func(Run) {})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("scheduler did not stop")
	}
}

// BenchmarkSchedulerDispatch is the scheduler picking the next due probe
// among many and planning its next run, on a clock that is always behind
// so that no time is spent waiting.
func BenchmarkSchedulerDispatch(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("probes=%d", n), func(b *testing.B) {
			jobs := make([]Job, n)
			for i := range jobs {
				jobs[i] = Job{Run: Run{Probe: fmt.Sprintf("p%05d", i), Timeout: time.Second}, Interval: 10 * time.Second}
			}
			// Each reading of the clock moves it on by twice a probe's
			// share of the interval: there is always a run due.
			virt := time.Unix(0, 0)
			step := 2 * 10 * time.Second / time.Duration(n)
			now := func() time.Time { virt = virt.Add(step); return virt }
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var dispatched int
			target := b.N
			start := func(Run) {
				if dispatched++; dispatched == target {
					cancel()
				}
			}
			s := New(jobs, now, start)
			b.ReportAllocs()
			b.ResetTimer()
			s.Run(ctx)
		})
	}
}

// A probe's first run comes within a tenth of its interval, at most 30 s;
// probes of a few seconds run in their slots, so that a start is no burst
// of many times the agent's rate.
func TestStartWindow(t *testing.T) {
	for _, c := range []struct{ interval, want time.Duration }{
		{time.Second, time.Second},
		{5 * time.Second, 5 * time.Second},
		{10 * time.Second, 5 * time.Second},
		{time.Minute, 6 * time.Second},
		{5 * time.Minute, 30 * time.Second},
		{time.Hour, 30 * time.Second},
	} {
		if got := startWindow(c.interval); got != c.want {
			t.Errorf("startWindow(%s) = %s, want %s", c.interval, got, c.want)
		}
	}
}
