package agent

import (
	"strings"
	"sync"

	"github.com/sloagent/sloagent/probes"
)

// sampleSet is a probe's last run's samples as the agent keeps them: the
// names, help and labels in a layout shared by every probe whose samples
// look the same, and the values on their own. An HTTP probe's samples are
// about 900 bytes of pointers; kept per probe, at thousands of probes they
// were a large part of what every garbage collection has to mark. The
// values are a few bytes without pointers.
//
// A sampleSet is immutable once stored: a scrape may read it after the
// probe's lock is released.
type sampleSet struct {
	layout *sampleLayout
	values []float64
}

// sampleLayout is a list of samples whose values are unused.
type sampleLayout struct {
	samples []probes.Sample
}

func (s sampleSet) len() int { return len(s.values) }

// at is the i-th sample, value included.
func (s sampleSet) at(i int) probes.Sample {
	smp := s.layout.samples[i]
	smp.Value = s.values[i]
	return smp
}

// layouts interns sample layouts. A kind whose label values change from run
// to run would make a layout per run: past maxLayouts, layouts are kept per
// probe instead of shared.
var layouts = struct {
	sync.Mutex
	m map[string]*sampleLayout
}{m: map[string]*sampleLayout{}}

const maxLayouts = 4096

// compact turns a run's samples into a sampleSet, reusing prev's layout
// when the samples look the same.
func compact(prev *sampleLayout, samples []probes.Sample) sampleSet {
	if len(samples) == 0 {
		return sampleSet{}
	}
	values := make([]float64, len(samples))
	for i, s := range samples {
		values[i] = s.Value
	}
	if prev != nil && prev.matches(samples) {
		return sampleSet{layout: prev, values: values}
	}
	return sampleSet{layout: internLayout(samples), values: values}
}

func (l *sampleLayout) matches(samples []probes.Sample) bool {
	if len(l.samples) != len(samples) {
		return false
	}
	for i, s := range samples {
		t := &l.samples[i]
		if s.Name != t.Name || s.Help != t.Help || len(s.Labels) != len(t.Labels) {
			return false
		}
		for j, lb := range s.Labels {
			if lb != t.Labels[j] {
				return false
			}
		}
	}
	return true
}

func internLayout(samples []probes.Sample) *sampleLayout {
	var key strings.Builder
	for _, s := range samples {
		key.WriteString(s.Name)
		key.WriteByte(0xfe)
		key.WriteString(s.Help)
		for _, l := range s.Labels {
			key.WriteByte(0xfd)
			key.WriteString(l.Name)
			key.WriteByte(0xfd)
			key.WriteString(l.Value)
		}
		key.WriteByte(0xff)
	}
	k := key.String()
	layouts.Lock()
	defer layouts.Unlock()
	if l, ok := layouts.m[k]; ok {
		return l
	}
	// A copy, so that nothing of the run's own result is kept.
	l := &sampleLayout{samples: make([]probes.Sample, len(samples))}
	for i, s := range samples {
		l.samples[i] = probes.Sample{Name: s.Name, Help: s.Help}
		if len(s.Labels) > 0 {
			l.samples[i].Labels = append([]probes.Label(nil), s.Labels...)
		}
	}
	if len(layouts.m) < maxLayouts {
		layouts.m[k] = l
	}
	return l
}
