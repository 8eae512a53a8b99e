package lag

import (
	"math"
	"testing"
	"time"
)

func TestQuantileAndShare(t *testing.T) {
	var r Recorder
	for range 98 {
		r.Observe(200 * time.Microsecond) // first bucket
	}
	r.Observe(7 * time.Millisecond)  // (5ms, 10ms]
	r.Observe(30 * time.Millisecond) // (25ms, 50ms]
	h := r.Snapshot()
	if h.Total() != 100 {
		t.Fatalf("total %d, want 100", h.Total())
	}
	if got := h.ShareAbove(Late); got != 0.01 {
		t.Errorf("share above 10ms = %v, want 0.01", got)
	}
	// The 99th of 100 observations is the one in (5ms, 10ms]: rank 99
	// is the whole of that bucket.
	if got := h.Quantile(0.99); math.Abs(got-0.01) > 1e-9 {
		t.Errorf("p99 = %v, want 0.01", got)
	}
	if got := h.Quantile(0.5); got <= 0 || got > 0.0005 {
		t.Errorf("p50 = %v, want within the first bucket", got)
	}
}

func TestFromCumulativeAndSub(t *testing.T) {
	cum := make([]uint64, len(Bounds))
	for i := range cum {
		cum[i] = 10
	}
	cum[0] = 4
	h := FromCumulative(cum, 12)
	if h.Counts[0] != 4 || h.Counts[1] != 6 || h.Counts[len(Bounds)] != 2 || h.Total() != 12 {
		t.Fatalf("counts %v", h.Counts)
	}
	d := h.Sub(FromCumulative(make([]uint64, len(Bounds)), 1))
	if d.Total() != 11 || d.Counts[len(Bounds)] != 1 {
		t.Errorf("difference %v", d.Counts)
	}
	if !math.IsNaN(New().Quantile(0.99)) {
		t.Error("quantile of nothing is not NaN")
	}
}
