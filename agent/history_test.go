package agent

import (
	"fmt"
	"math"
	"testing"
	"time"
	"unsafe"
)

// The strip keeps the latest runs in order; the ratios count the runs of
// the last hour and day, not older ones.
func TestRunHistory(t *testing.T) {
	var h runHistory
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// A run a minute for two days: the first day all fail, then one in
	// four fails, and the last hour passes but slowly.
	for m := 0; m < 2*1440; m++ {
		at := t0.Add(time.Duration(m) * time.Minute)
		ok := m >= 1440 && m%4 != 0
		slow := m >= 2*1440-60
		if slow {
			ok = true
		}
		h.add(at, ok, slow, "connect")
	}
	now := t0.Add(2*1440*time.Minute - time.Second)
	hour, day, hn, dn := h.ratios(now)
	if hour != 1 || hn != 60 {
		t.Errorf("last hour: %v of %d runs", hour, hn)
	}
	// The last 24 hours: 1380 runs of which 345 fail, and the slow hour.
	if dn != 1440 || math.Abs(day-float64(1440-345)/1440) > 1e-9 {
		t.Errorf("last day: %v of %d runs", day, dn)
	}
	runs := h.runs()
	if len(runs) != stripRuns || runs[len(runs)-1].State != runSlow || time.Unix(int64(runs[0].At), 0).Before(now.Add(-time.Hour)) {
		t.Errorf("strip %+v", runs)
	}
	if _, _, hn, dn := h.ratios(now.Add(48 * time.Hour)); hn != 0 || dn != 0 {
		t.Errorf("two days later: %d and %d runs", hn, dn)
	}
	t.Logf("run history: %d bytes a probe", unsafe.Sizeof(h))
	if s := unsafe.Sizeof(h); s > 1200 {
		t.Errorf("run history takes %d bytes a probe", s)
	}
}

// The strip names each run's own reason when more reasons come than its
// table holds.
func TestRunHistoryReasons(t *testing.T) {
	var h runHistory
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 5 * maxStripReasons
	for i := range n {
		reason := fmt.Sprint("r", i)
		if i%3 == 0 {
			reason = "timeout"
		}
		h.add(t0.Add(time.Duration(i)*time.Second), i%2 == 0, false, reason)
	}
	if len(h.reasons) > maxStripReasons {
		t.Errorf("%d reasons kept", len(h.reasons))
	}
	runs := h.runs()
	for k, r := range runs {
		i := n - len(runs) + k
		want := fmt.Sprint("r", i)
		if i%3 == 0 {
			want = "timeout"
		}
		if r.Reason != want || int64(r.At) != t0.Unix()+int64(i) {
			t.Fatalf("run %d: %+v, want reason %s", i, r, want)
		}
	}
	h.add(t0.Add(time.Duration(n)*time.Second), true, false, "")
	if r := h.runs()[stripRuns-1]; r.Reason != "" || r.State != runOK {
		t.Errorf("a passing run: %+v", r)
	}
}
