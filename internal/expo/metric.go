package expo

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Metrics sends the series as prometheus.Metrics to a Collector's channel:
// the path of the registry that pushes, one-shot runs and tests gather.
type Metrics struct {
	ch    chan<- prometheus.Metric
	f     *Family
	descs map[string]*prometheus.Desc
	names []string
	vals  []string
}

// NewMetrics returns an encoder sending to ch. Its descriptions are kept
// for the encoder's life: use one for many collections of a source whose
// label names stay the same.
func NewMetrics(ch chan<- prometheus.Metric) *Metrics {
	return &Metrics{ch: ch, descs: map[string]*prometheus.Desc{}}
}

// Family starts f.
func (m *Metrics) Family(f *Family) { m.f = f }

// desc returns the family's description for the label names of ls, and
// fills m.vals with the series' label values.
func (m *Metrics) desc(ls *Labels, own []Label) *prometheus.Desc {
	m.names = append(m.names[:0], ls.names...)
	m.vals = append(m.vals[:0], ls.values...)
	for _, l := range own {
		m.names = append(m.names, l.Name)
		m.vals = append(m.vals, l.Value)
	}
	key := m.f.Name + "\xff" + strings.Join(m.names, "\xff")
	d, ok := m.descs[key]
	if !ok {
		d = prometheus.NewDesc(m.f.Name, m.f.Help, append([]string(nil), m.names...), nil)
		m.descs[key] = d
	}
	return d
}

// Value sends one series of a gauge or counter.
func (m *Metrics) Value(ls *Labels, own []Label, v float64) {
	d := m.desc(ls, own)
	typ := prometheus.GaugeValue
	if m.f.Type == Counter {
		typ = prometheus.CounterValue
	}
	metric, err := prometheus.NewConstMetric(d, typ, v, m.vals...)
	if err != nil {
		metric = prometheus.NewInvalidMetric(d, err)
	}
	m.ch <- metric
}

// Hist sends a histogram, classic and native buckets.
func (m *Metrics) Hist(ls *Labels, own []Label, h *Hist) {
	d := m.desc(ls, own)
	m.ch <- HistMetric(d, h, m.vals...)
}

// End ends the family.
func (m *Metrics) End() error { return nil }

// HistMetric is h as a metric of d: the native part made by client_golang,
// the classic buckets added to it.
func HistMetric(d *prometheus.Desc, h *Hist, values ...string) prometheus.Metric {
	out := &dto.Metric{Histogram: &dto.Histogram{}}
	if h.Native {
		positive := make(map[int]int64, len(h.Buckets))
		for _, b := range h.Buckets {
			positive[int(b.Index)] = int64(b.Count)
		}
		nh, err := prometheus.NewConstNativeHistogram(d, h.Count, h.Sum, positive, nil, h.ZeroCount,
			h.Schema, h.ZeroThreshold, h.Created, values...)
		if err != nil {
			return prometheus.NewInvalidMetric(d, err)
		}
		if err := nh.Write(out); err != nil {
			return prometheus.NewInvalidMetric(d, err)
		}
	} else {
		buckets := map[float64]uint64{}
		var cum uint64
		for i, le := range h.Bounds {
			cum += h.Counts[i]
			buckets[le] = cum
		}
		ch, err := prometheus.NewConstHistogramWithCreatedTimestamp(d, h.Count, h.Sum, buckets, h.Created, values...)
		if err != nil {
			return prometheus.NewInvalidMetric(d, err)
		}
		return ch
	}
	buckets := make([]*dto.Bucket, len(h.Bounds))
	var cum uint64
	for i, le := range h.Bounds {
		cum += h.Counts[i]
		buckets[i] = &dto.Bucket{CumulativeCount: new(cum), UpperBound: new(le)}
	}
	out.Histogram.Bucket = buckets
	return written{desc: d, m: out}
}

// written is a metric already written out.
type written struct {
	desc *prometheus.Desc
	m    *dto.Metric
}

func (w written) Desc() *prometheus.Desc { return w.desc }

func (w written) Write(m *dto.Metric) error {
	m.Label, m.Histogram = w.m.Label, w.m.Histogram
	return nil
}
