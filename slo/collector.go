package slo

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metric names. The raw counters are what the generated rules aggregate
// across agents; the rest is the agent's own view.
const (
	MetricEvents     = "slo_events_total"
	MetricGoodEvents = "slo_good_events_total"
)

// collector exports every SLO's state at scrape time, the same series
// WriteText writes.
type collector struct {
	e     *Engine
	descs []*prometheus.Desc // one per family
}

// Collector returns the engine's metrics. Register it on the agent's own
// registry; the agent's labels are added by wrapping the registerer.
func (e *Engine) Collector() prometheus.Collector {
	c := &collector{e: e}
	for _, f := range families {
		labels := []string{"slo"}
		if f.label != "" {
			labels = append(labels, f.label)
		}
		c.descs = append(c.descs, prometheus.NewDesc(f.name, f.help, labels, nil))
	}
	return c
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ms := c.e.Metrics()
	for i := range families {
		f, d := &families[i], c.descs[i]
		typ := prometheus.GaugeValue
		if f.typ == "counter" {
			typ = prometheus.CounterValue
		}
		send := func(b []byte, m *Metrics, label string, v float64) []byte {
			if f.label == "" {
				ch <- prometheus.MustNewConstMetric(d, typ, v, m.Name)
			} else {
				ch <- prometheus.MustNewConstMetric(d, typ, v, m.Name, label)
			}
			return b
		}
		for j := range ms {
			f.write(nil, &ms[j], send)
		}
	}
}
