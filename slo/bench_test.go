package slo

import (
	"bufio"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/expo"
)

// BenchmarkObserve records one run; the SLOs other than the matching one
// cost nothing per run.
func BenchmarkObserve(b *testing.B) {
	for _, method := range []string{Occurrences, Timeslices} {
		b.Run(method, func(b *testing.B) {
			var cfgs []Config
			for i := 0; i < 20; i++ {
				cfg := Config{Name: fmt.Sprint("slo", i), Probes: []string{fmt.Sprint("p", i)}, Objective: 99.9, BudgetingMethod: method}
				if method == Timeslices {
					cfg.Timeslice.GoodThreshold = 0.9
				}
				cfgs = append(cfgs, cfg)
			}
			c := newClock(t0)
			e := mustEngine(b, cfgs, nil, c)
			ev := Event{Probe: "p7", Labels: map[string]string{"team": "a"}, Time: t0, Success: true}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ev.Success = i%100 != 0
				e.Observe(ev)
			}
		})
	}
	b.Run("parallel", func(b *testing.B) {
		c := newClock(t0)
		e := mustEngine(b, []Config{{Name: "a", Probes: []string{"p"}, Objective: 99.9}}, nil, c)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ev := Event{Probe: "p", Time: t0, Success: true}
			for pb.Next() {
				e.Observe(ev)
			}
		})
	})
}

// BenchmarkWindows computes every window, the budget and the alerts of one
// SLO with 30 days of history for the status page; "chart" adds the
// burn-down. Within a minute the windows' counts are kept; "new-minute"
// computes them afresh every time, as the first scrape of a minute does.
func BenchmarkWindows(b *testing.B) {
	for _, tc := range []struct {
		name      string
		cfg       Config
		chart     bool
		newMinute bool
	}{
		{"rolling30d", Config{Name: "a", Probes: []string{"p"}, Objective: 99.9}, false, false},
		{"rolling30d-new-minute", Config{Name: "a", Probes: []string{"p"}, Objective: 99.9}, false, true},
		{"calendar-month", Config{Name: "a", Probes: []string{"p"}, Objective: 99.9, Window: WindowConfig{Calendar: Month, TimeZone: "Europe/Berlin"}}, false, false},
		{"calendar-month-new-minute", Config{Name: "a", Probes: []string{"p"}, Objective: 99.9, Window: WindowConfig{Calendar: Month, TimeZone: "Europe/Berlin"}}, false, true},
		{"rolling30d-chart", Config{Name: "a", Probes: []string{"p"}, Objective: 99.9}, true, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := newClock(t0)
			e := mustEngine(b, []Config{tc.cfg}, nil, c)
			for m := 0; m < 30*1440; m++ {
				at := t0.Add(time.Duration(m) * time.Minute)
				c.Set(at)
				e.Observe(Event{Probe: "p", Time: at, Success: m%97 != 0})
			}
			st := e.snap.Load().slos[0]
			now := c.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if tc.newMinute {
					now = now.Add(time.Duration(1-2*(i%2)) * time.Minute)
				}
				st.status(now, tc.chart)
			}
		})
	}
}

// TestMemoryPerSLO measures the heap an SLO's history takes, which does not
// grow with the number of runs. The figures are logged (go test -v -run
// MemoryPerSLO) and bounded here.
func TestMemoryPerSLO(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		bound int
		// every is the minutes between runs; one run in failEvery
		// minutes fails.
		every, failEvery int
	}{
		{"rolling 30d", Config{Probes: []string{"p"}, Objective: 99.9}, 3 << 10, 15, 1500},
		{"calendar month", Config{Probes: []string{"p"}, Objective: 99.9, Window: WindowConfig{Calendar: Month, TimeZone: "Europe/Berlin"}}, 4 << 10, 15, 1500},
		{"rolling 30d, 1m timeslices", Config{Probes: []string{"p"}, Objective: 99.9, BudgetingMethod: Timeslices,
			Timeslice: TimesliceConfig{GoodThreshold: 0.9}}, 5 << 10, 15, 1500},
		{"rolling 90d", Config{Probes: []string{"p"}, Objective: 99.9, Window: WindowConfig{Rolling: dur(90 * 24 * time.Hour)}}, 5 << 10, 15, 1500},
		{"rolling 30d, a run a minute, one in a thousand failed", Config{Probes: []string{"p"}, Objective: 99.9}, 3 << 10, 1, 1000},
	} {
		const n = 200
		cfgs := make([]Config, n)
		for i := range cfgs {
			cfgs[i] = tc.cfg
			cfgs[i].Name = fmt.Sprint("slo", i)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c := newClock(t0)
		e := mustEngine(t, cfgs, nil, c)
		// Slots are allocated up front; runs (counted by every SLO) in
		// every quarter hour of the window, one in a hundred failed, show
		// nothing grows with them.
		for m := 0; m < 31*1440; m += tc.every {
			at := t0.Add(time.Duration(m) * time.Minute)
			c.Set(at)
			e.Observe(Event{Probe: "p", Time: at, Success: m%tc.failEvery != 0})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		per := int(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(e)
		t.Logf("%s: %d bytes (%.0f KiB) per SLO", tc.name, per, float64(per)/1024)
		if per > tc.bound {
			t.Errorf("%s: %d bytes per SLO, want at most %d", tc.name, per, tc.bound)
		}
	}
}

// BenchmarkWriteText writes the metrics of many 30-day SLOs with full
// windows (30 days of history, 3 runs a minute) in the text format, as
// /metrics does. "new-minute" is the first scrape of a minute, which
// computes every SLO's windows; later ones in the minute reuse them.
func BenchmarkWriteText(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		e, c, store, _ := fullSLOs(b, n, func(m time.Time) (uint32, uint32) {
			if m.Unix()/60%1000 == 0 {
				return 2, 3
			}
			return 3, 3
		})
		store.Close()
		for _, newMinute := range []bool{false, true} {
			name := fmt.Sprintf("slos=%d/cached", n)
			if newMinute {
				name = fmt.Sprintf("slos=%d/new-minute", n)
			}
			b.Run(name, func(b *testing.B) {
				w := bufio.NewWriterSize(io.Discard, 64<<10)
				base := expo.NewLabels([]string{"agent"}, []string{"bench"})
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if newMinute {
						c.Add(time.Duration(1-2*(i%2)) * time.Minute)
					}
					if err := e.Write(expo.NewText(w), base); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkEvaluateAlerts evaluates the alerts of many 30-day SLOs with
// full windows and reads them all, as the agent does at every evaluation
// (its notifier reads every alert).
func BenchmarkEvaluateAlerts(b *testing.B) {
	e, c, store, _ := fullSLOs(b, 1000, func(m time.Time) (uint32, uint32) {
		if m.Unix()/60%1000 == 0 {
			return 2, 3
		}
		return 3, 3
	})
	defer store.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Add(time.Duration(1-2*(i%2)) * time.Minute)
		e.EvaluateAlerts()
		if len(e.Alerts()) != 2000 {
			b.Fatal("alerts missing")
		}
	}
}

// BenchmarkFlush writes a minute of runs of many 30-day SLOs with full
// history to the state file, as the agent does every minute.
func BenchmarkFlush(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("slos=%d", n), func(b *testing.B) {
			e, c, store, names := fullSLOs(b, n, func(time.Time) (uint32, uint32) { return 3, 3 })
			defer store.Close()
			b.ReportAllocs()
			for b.Loop() {
				c.Add(time.Minute)
				for _, name := range names {
					e.Observe(Event{Probe: name, Success: true})
				}
				if err := e.Flush(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fullSLOs is an engine of n 30-day SLOs (one probe each, named as the
// SLO) whose store holds 30 days of history with runs(minute) good and
// total runs a minute, on a clock at the end of that history.
func fullSLOs(b testing.TB, n int, runs func(time.Time) (good, total uint32)) (*Engine, *clock, *Store, []string) {
	b.Helper()
	store, err := OpenStore(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	cfgs := make([]Config, n)
	names := make([]string, n)
	for i := range cfgs {
		names[i] = fmt.Sprintf("slo-%05d", i)
		cfgs[i] = Config{Name: names[i], Probes: []string{names[i]}, Objective: 99.9}
	}
	end := t0.Add(30 * 24 * time.Hour)
	if err := store.WriteHistory(names, t0, end, runs); err != nil {
		b.Fatal(err)
	}
	c := newClock(end)
	return mustEngine(b, cfgs, store, c), c, store, names
}

// BenchmarkNewMinute computes every window of one 30-day SLO with 30 days
// of history afresh, as the first scrape or alert evaluation of a minute
// does for each SLO: the probe runs once a minute (hours of 60 runs, 6
// bits a count) or three times (quarter hours of 45), one run in a
// thousand failing.
func BenchmarkNewMinute(b *testing.B) {
	for _, perMinute := range []uint32{1, 3} {
		b.Run(fmt.Sprintf("runs-per-minute=%d", perMinute), func(b *testing.B) {
			e, c, store, _ := fullSLOs(b, 1, func(m time.Time) (uint32, uint32) {
				if m.Unix()/60%1000 == 0 {
					return perMinute - 1, perMinute
				}
				return perMinute, perMinute
			})
			defer store.Close()
			st := e.snap.Load().slos[0]
			var buf [maxStackBounds]counts
			now := c.Now()
			for i := 0; b.Loop(); i++ {
				now = now.Add(time.Duration(1-2*(i%2)) * time.Minute)
				st.windowCounts(now, buf[:0])
			}
		})
	}
}
