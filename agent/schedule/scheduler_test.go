package schedule

import (
	"context"
	"fmt"
	"log/slog"
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
		off := offsetOf("probe-"+string(rune('a'+i%26))+time.Duration(i).String(), iv)
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
	if offsetOf("x", iv) != offsetOf("x", iv) {
		t.Error("offset is not stable")
	}
}

// Runs of many probes fall evenly over the interval, from the first runs on
// and whatever the phase of the start time within the interval.
func TestRunsSpreadEvenlyOverInterval(t *testing.T) {
	const n, buckets = 4000, 10
	iv := time.Second
	for _, phase := range []time.Duration{0, 150 * time.Millisecond, 500 * time.Millisecond, 850 * time.Millisecond} {
		start := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(phase)
		// counts[r][b]: runs of round r (the first three) in bucket b
		// of the interval that follows start + r intervals.
		var counts [3][buckets]int
		for i := range n {
			off := offsetOf(fmt.Sprintf("p%05d", i), iv)
			next := firstRun(start, iv, off, true)
			for r := range counts {
				from := start.Add(time.Duration(r) * iv)
				if d := next.Sub(from); d < 0 || d >= iv {
					t.Fatalf("phase %s: probe %d round %d runs at %s, not in [%s, +%s)", phase, i, r, next, from, iv)
				} else {
					counts[r][d*buckets/iv]++
				}
				next = following(next, iv, off)
			}
		}
		for r, c := range counts {
			for b, k := range c {
				if k < n/buckets*3/4 || k > n/buckets*5/4 {
					t.Errorf("phase %s, round %d: %d runs in tenth %d of the interval, want about %d: %v", phase, r, k, b, n/buckets, c)
					break
				}
			}
		}
	}
}

// A probe that never ran and has a long interval runs within startSpread,
// then in its own slots.
func TestLongIntervalProbeRunsSoonThenInSlot(t *testing.T) {
	iv := time.Hour
	off := offsetOf("hourly", iv)
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(off + time.Second) // just past its slot
	first := firstRun(start, iv, off, true)
	if d := first.Sub(start); d < 0 || d >= startSpread {
		t.Fatalf("first run %s after start, want within %s", d, startSpread)
	}
	second := following(first, iv, off)
	if second != nextSlot(first, iv, off) || second.Sub(first) < iv/2 {
		t.Errorf("second run at %s, %s after the first; want its slot, at least half an interval on", second, second.Sub(first))
	}
	if third := following(second, iv, off); third.Sub(second) != iv {
		t.Errorf("third run %s after the second, want %s", third.Sub(second), iv)
	}
	// A probe that has run waits for its slot.
	if got, want := firstRun(start, iv, off, false), nextSlot(start, iv, off); got != want {
		t.Errorf("probe that ran: first run %s, want its slot %s", got, want)
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
