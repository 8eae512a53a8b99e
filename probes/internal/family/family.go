// Package family builds the samples of a probe kind from the families the
// kind declares (probes.Family): the family gives the name and the label
// names, the run the values.
package family

import "github.com/sloagent/sloagent/probes"

// Gauge declares a gauge family.
func Gauge(name, help string, labels ...string) probes.Family {
	return probes.Family{Name: name, Help: help, Type: probes.Gauge, Labels: labels}
}

// Sample is a sample of f with the values of f's labels, in order.
func Sample(f *probes.Family, v float64, labelValues ...string) probes.Sample {
	s := probes.Sample{Name: f.Name, Value: v}
	if len(labelValues) > 0 {
		s.Labels = Labels(f, labelValues...)
	}
	return s
}

// With is a sample of f with labels already built (shared label slices, so
// that a run does not allocate them).
func With(f *probes.Family, v float64, labels []probes.Label) probes.Sample {
	return probes.Sample{Name: f.Name, Value: v, Labels: labels}
}

// Labels builds the label slice of f for values, in order.
func Labels(f *probes.Family, values ...string) []probes.Label {
	l := make([]probes.Label, len(values))
	for i, v := range values {
		l[i] = probes.Label{Name: f.Labels[i], Value: v}
	}
	return l
}
