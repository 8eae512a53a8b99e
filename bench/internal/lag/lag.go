// Package lag keeps scheduling lag as a bucketed histogram with the same
// bounds as the agent's sloagent_scheduler_lag_seconds, so the lag of every
// system in the benchmark is summarised the same way.
package lag

import (
	"math"
	"sync/atomic"
	"time"
)

// Bounds are the upper bounds of the buckets in seconds, as the agent
// exports them; 0.01 must stay one of them, since the pass criterion is
// "p99 under 10 ms".
var Bounds = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}

// Late is the lag above which a run counts as started late.
const Late = 0.01

// Hist holds counts per bucket (not cumulative); the last bucket is +Inf.
type Hist struct {
	Counts []uint64 `json:"counts"`
}

// New returns an empty histogram.
func New() Hist { return Hist{Counts: make([]uint64, len(Bounds)+1)} }

// FromCumulative builds a histogram from Prometheus-style cumulative bucket
// counts for Bounds and the total count.
func FromCumulative(cum []uint64, total uint64) Hist {
	h := New()
	var prev uint64
	for i := range Bounds {
		if i < len(cum) {
			h.Counts[i] = cum[i] - prev
			prev = cum[i]
		}
	}
	h.Counts[len(Bounds)] = total - prev
	return h
}

// Total is the number of observations.
func (h Hist) Total() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Sub returns h minus an earlier snapshot o of the same histogram.
func (h Hist) Sub(o Hist) Hist {
	d := New()
	for i := range d.Counts {
		if i < len(h.Counts) {
			d.Counts[i] = h.Counts[i]
		}
		if i < len(o.Counts) {
			d.Counts[i] -= o.Counts[i]
		}
	}
	return d
}

// ShareAbove is the share of observations above bound, which must be one of
// Bounds.
func (h Hist) ShareAbove(bound float64) float64 {
	total := h.Total()
	if total == 0 {
		return 0
	}
	var below uint64
	for i, b := range Bounds {
		if b > bound {
			break
		}
		below += h.Counts[i]
	}
	return float64(total-below) / float64(total)
}

// Quantile estimates the q-quantile by linear interpolation within its
// bucket, as Prometheus's histogram_quantile does; +Inf if it falls in the
// last bucket, NaN without observations.
func (h Hist) Quantile(q float64) float64 {
	total := h.Total()
	if total == 0 {
		return math.NaN()
	}
	rank := q * float64(total)
	var cum float64
	for i, c := range h.Counts {
		next := cum + float64(c)
		if next >= rank && c > 0 {
			if i == len(Bounds) {
				return math.Inf(1)
			}
			lo := 0.0
			if i > 0 {
				lo = Bounds[i-1]
			}
			return lo + (Bounds[i]-lo)*(rank-cum)/float64(c)
		}
		cum = next
	}
	return Bounds[len(Bounds)-1]
}

// Recorder is a Hist that goroutines add to concurrently.
type Recorder struct {
	counts [13]atomic.Uint64 // len(Bounds)+1
}

// Observe records one lag.
func (r *Recorder) Observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(Bounds) && s > Bounds[i] {
		i++
	}
	r.counts[i].Add(1)
}

// Snapshot returns the counts so far.
func (r *Recorder) Snapshot() Hist {
	h := New()
	for i := range h.Counts {
		h.Counts[i] = r.counts[i].Load()
	}
	return h
}
