package slo

import (
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/internal/conf"
)

// clock is a settable time source for the engine.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.Set(t)
	return c
}

func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// t0 is a Thursday, midnight UTC.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mustEngine(t testing.TB, cfgs []Config, store *Store, c *clock) *Engine {
	t.Helper()
	r := conf.NewReport()
	ValidateList(r, cfgs)
	if !r.Empty() {
		t.Fatalf("invalid test config: %v", r.Problems())
	}
	e, err := NewEngine(cfgs, store, c.Now, testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// observeMinute records n runs spread over the minute starting at m, the
// first bad of which fail.
func observeMinute(e *Engine, probe string, m time.Time, n, bad int) {
	step := time.Minute / time.Duration(n)
	for i := 0; i < n; i++ {
		e.Observe(Event{Probe: probe, Time: m.Add(time.Duration(i) * step), Success: i >= bad, Duration: 10 * time.Millisecond})
	}
}

func approx(t testing.TB, what string, got, want float64) {
	t.Helper()
	if math.IsNaN(want) {
		if !math.IsNaN(got) {
			t.Errorf("%s = %v, want no data (NaN)", what, got)
		}
		return
	}
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.12g, want %.12g", what, got, want)
	}
}

func window(t testing.TB, s Status, name string) WindowStatus {
	t.Helper()
	if name == "slo" {
		return s.Whole
	}
	for _, w := range s.Windows {
		if w.Name == name {
			return w
		}
	}
	t.Fatalf("no window %q in %s", name, s.Name)
	return WindowStatus{}
}

func firing(s Status, sev string) bool {
	for _, a := range s.Alerts {
		if a.Severity == sev {
			return a.Firing
		}
	}
	return false
}
