package agent

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/sloagent/sloagent/internal/expo"
)

// The compact histogram must expose exactly what client_golang's Histogram
// does with the options the agent used to give it, widening included.
func TestDurationHistogramMatchesClientGolang(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var bounds []float64
	for i := -80; i <= 48; i++ {
		bounds = append(bounds, math.Exp2(float64(i)/8))
	}
	cases := map[string][]float64{
		"empty": nil,
		"fast target": func() (v []float64) {
			for range 5000 {
				v = append(v, 0.0003+rng.ExpFloat64()*0.002)
			}
			return v
		}(),
		"bucket bounds": append(append(bounds, durationBuckets...), 0, 0, 1e-9),
		// Microseconds to a minute: more than 100 buckets at the finest
		// resolution, so the histogram widens, twice.
		"wide": func() (v []float64) {
			for range 20000 {
				v = append(v, math.Exp2(-20+rng.Float64()*26))
			}
			return v
		}(),
	}
	for name, values := range cases {
		t.Run(name, func(t *testing.T) {
			ref := prometheus.NewHistogram(prometheus.HistogramOpts{
				Name:                            "probe_run_duration_seconds",
				Help:                            "h",
				Buckets:                         durationBuckets,
				NativeHistogramBucketFactor:     1.1,
				NativeHistogramMaxBucketNumber:  100,
				NativeHistogramMinResetDuration: time.Hour,
			})
			h := newDurationHistogram(time.Now())
			for _, v := range values {
				ref.Observe(v)
				h.observe(v)
			}
			var want dto.Metric
			if err := ref.Write(&want); err != nil {
				t.Fatal(err)
			}
			desc := prometheus.NewDesc("probe_run_duration_seconds", "h", []string{"probe"}, nil)
			var snap expo.Hist
			h.snapshot(&snap, true)
			var got dto.Metric
			if err := expo.HistMetric(desc, &snap, "home").Write(&got); err != nil {
				t.Fatal(err)
			}
			if n := len(got.Label); n != 1 || got.Label[0].GetName() != "probe" || got.Label[0].GetValue() != "home" {
				t.Errorf("labels = %v", got.Label)
			}
			want.Histogram.CreatedTimestamp, got.Histogram.CreatedTimestamp = nil, nil
			if !proto.Equal(want.Histogram, got.Histogram) {
				t.Errorf("histograms differ\n got: %v\nwant: %v", got.Histogram, want.Histogram)
			}
			if name == "wide" && h.schema >= nativeSchema {
				t.Errorf("schema %d: a wide spread should have widened the buckets", h.schema)
			}
			if len(h.native) > nativeMaxBuckets {
				t.Errorf("%d native buckets, want at most %d", len(h.native), nativeMaxBuckets)
			}
		})
	}
}

// A probe's histogram must stay small and free of pointers: at thousands of
// probes it is what the garbage collector would otherwise have to mark.
func TestDurationHistogramSize(t *testing.T) {
	h := newDurationHistogram(time.Now())
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		h.observe(math.Exp2(-20 + rng.Float64()*26))
	}
	if n := len(h.native); n > nativeMaxBuckets {
		t.Fatalf("%d native buckets", n)
	}
	allocs := testing.AllocsPerRun(1000, func() { h.observe(0.0123) })
	if allocs != 0 {
		t.Errorf("observing into an existing bucket allocated %v times", allocs)
	}
}
