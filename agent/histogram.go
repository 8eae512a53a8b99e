package agent

import (
	"math"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sloagent/sloagent/internal/expo"
)

// durationHistogram is one probe's probe_run_duration_seconds: classic
// buckets and a native (exponential) histogram, as client_golang's Histogram
// with a bucket factor of 1.1 and at most 100 native buckets exposes them.
//
// client_golang keeps native buckets in sync.Maps, twice over (hot and
// cold): about 5.8 KB in 110 heap objects per probe once a probe's
// durations have spread. At thousands of probes that was most of the
// agent's heap and most of the garbage collector's marking work, and each
// collection delayed runs. Here the native buckets are one sorted slice
// without pointers; exposition builds the native part with client_golang's
// NewConstNativeHistogram.
//
// It is not safe for concurrent use: probeState.mu guards it.
type durationHistogram struct {
	count   uint64
	sum     float64
	classic [numDurationBuckets + 1]uint64 // per bucket of durationBuckets, not cumulative, +Inf last
	schema  int32
	zero    uint64 // observations at or below nativeZeroThreshold
	native  []nativeBucket
	created time.Time
}

// nativeBucket counts the observations in (2^((index-1)/2^schema),
// 2^(index/2^schema)].
type nativeBucket struct {
	index int32
	count uint64
}

const (
	// nativeSchema is the finest resolution: 2^(2^-3) ≈ 1.09 between
	// bucket bounds, what a bucket factor of 1.1 selects.
	nativeSchema = 3
	// nativeMaxBuckets bounds a probe's native buckets; past it the
	// resolution halves, merging neighbouring buckets.
	nativeMaxBuckets = 100
	// nativeGrowth is how many buckets the slice grows by when full.
	nativeGrowth = 4
	// nativeZeroThreshold is client_golang's default: only a zero
	// duration falls in the zero bucket.
	nativeZeroThreshold = prometheus.DefNativeHistogramZeroThreshold
)

// nativeBounds are 2^(i/8 - 1) for i in 0..7, correctly rounded (math.Exp2
// is off by one unit in the last place for some): the fractions, as
// math.Frexp returns them, at which buckets of nativeSchema end within a
// power of two. Prometheus's client libraries use the same values, so a
// duration on a bound lands in the same bucket.
var nativeBounds = []float64{
	0.5, 0.5452538663326288, 0.5946035575013605, 0.6484197773255048,
	0.7071067811865475, 0.7711054127039704, 0.8408964152537144, 0.9170040432046711,
}

func newDurationHistogram(created time.Time) *durationHistogram {
	h := new(durationHistogram)
	h.init(created)
	return h
}

// init empties h, created at created. A probe's state holds its
// histogram rather than a pointer to it: one allocation less a probe.
func (h *durationHistogram) init(created time.Time) {
	*h = durationHistogram{schema: nativeSchema, created: created}
}

// observe adds one duration in seconds.
func (h *durationHistogram) observe(v float64) {
	if math.IsNaN(v) || v < 0 {
		v = 0
	}
	h.count++
	h.sum += v
	h.classic[sort.SearchFloat64s(durationBuckets, v)]++ // le is inclusive
	if v <= nativeZeroThreshold {
		h.zero++
		return
	}
	// The index at the finest schema, then widened to the current one:
	// buckets of schema s-1 are pairs of buckets of schema s.
	frac, exp := math.Frexp(v)
	idx := sort.SearchFloat64s(nativeBounds, frac) + (exp-1)*len(nativeBounds)
	if shift := nativeSchema - h.schema; shift > 0 {
		idx = (idx + 1<<shift - 1) >> shift
	}
	i := sort.Search(len(h.native), func(i int) bool { return h.native[i].index >= int32(idx) })
	if i < len(h.native) && h.native[i].index == int32(idx) {
		h.native[i].count++
		return
	}
	if len(h.native) == cap(h.native) {
		// A few buckets more at a time, not twice as many: a probe's
		// buckets stop growing once its durations have spread, and
		// append's doubling leaves up to half of them empty for as
		// long as the probe lives (16 bytes each, at every probe).
		grown := make([]nativeBucket, len(h.native), len(h.native)+nativeGrowth)
		copy(grown, h.native)
		h.native = grown
	}
	h.native = append(h.native, nativeBucket{})
	copy(h.native[i+1:], h.native[i:])
	h.native[i] = nativeBucket{index: int32(idx), count: 1}
	if len(h.native) > nativeMaxBuckets && h.schema > -4 {
		h.widen()
	}
}

// widen halves the native resolution, merging each pair of buckets.
func (h *durationHistogram) widen() {
	h.schema--
	out := h.native[:0]
	for _, b := range h.native {
		b.index = (b.index + 1) >> 1 // ceil(index/2)
		if n := len(out); n > 0 && out[n-1].index == b.index {
			out[n-1].count += b.count
			continue
		}
		out = append(out, b)
	}
	clear(h.native[len(out):])
	h.native = out
}

// snapshot is the histogram now, for exposition; native says whether the
// native buckets are wanted. The buckets are copied:
// the probe's lock is released before they are written.
func (h *durationHistogram) snapshot(into *expo.Hist, native bool) {
	*into = expo.Hist{
		Count: h.count, Sum: h.sum, Bounds: durationBuckets,
		Counts: append(into.Counts[:0], h.classic[:]...),
		Native: native, Schema: h.schema, ZeroThreshold: nativeZeroThreshold, ZeroCount: h.zero,
		Buckets: into.Buckets[:0], Created: h.created,
	}
	if !native {
		return
	}
	for _, b := range h.native {
		into.Buckets = append(into.Buckets, expo.NativeBucket{Index: b.index, Count: b.count})
	}
}
