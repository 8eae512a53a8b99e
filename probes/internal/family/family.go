// Package family describes the series a probe kind's results carry, once per
// kind: the description gives every sample its name and help, and is the
// list the agent's registry of kinds reads.
package family

import "github.com/sloagent/sloagent/probes"

// Family is one series family: its name, help, type and the names of the
// labels its samples carry besides the probe's own.
type Family struct {
	Name   string
	Help   string
	Type   string // gauge
	Labels []string
}

// Gauge declares a gauge family.
func Gauge(name, help string, labels ...string) Family {
	return Family{Name: name, Help: help, Type: "gauge", Labels: labels}
}

// Sample is a sample of f with the values of f's labels, in order.
func (f *Family) Sample(v float64, labelValues ...string) probes.Sample {
	s := probes.Sample{Name: f.Name, Help: f.Help, Value: v}
	if len(labelValues) > 0 {
		s.Labels = make([]probes.Label, len(labelValues))
		for i, lv := range labelValues {
			s.Labels[i] = probes.Label{Name: f.Labels[i], Value: lv}
		}
	}
	return s
}

// With is a sample of f with labels already built (shared label slices, so
// that a run does not allocate them).
func (f *Family) With(v float64, labels []probes.Label) probes.Sample {
	return probes.Sample{Name: f.Name, Help: f.Help, Value: v, Labels: labels}
}

// LabelSet builds the label slice of f for fixed values, to be shared by
// every run.
func (f *Family) LabelSet(values ...string) []probes.Label {
	l := make([]probes.Label, len(values))
	for i, v := range values {
		l[i] = probes.Label{Name: f.Labels[i], Value: v}
	}
	return l
}
