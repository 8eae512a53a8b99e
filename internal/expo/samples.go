package expo

import (
	"strings"
	"sync"

	"github.com/sloagent/sloagent/probes"
)

// Samples are a probe's last run's samples as the agent keeps them: the
// names, help and labels in a layout shared by every probe whose samples
// look the same, and the values on their own. An HTTP probe's samples are
// about 900 bytes of pointers; kept per probe, at thousands of probes they
// were a large part of what every garbage collection has to mark. The
// values are a few bytes without pointers.
//
// Samples are immutable once stored: a scrape may read them after the
// probe's lock is released.
type Samples struct {
	layout *sampleLayout
	values []float64
}

// sampleLayout is a list of samples whose values are unused.
type sampleLayout struct {
	samples []probes.Sample
}

// Len is the number of samples.
func (s Samples) Len() int { return len(s.values) }

// At is the i-th sample, value included.
func (s Samples) At(i int) probes.Sample {
	smp := s.layout.samples[i]
	smp.Value = s.values[i]
	return smp
}

// Layouts interns sample layouts, so probes whose samples look the same
// share one. The agent keeps one table per config generation, so that the
// layouts of probes that are gone go with the config. A kind whose label
// values change from run to run would make a layout per run: past
// maxLayouts, layouts are kept per probe instead of shared.
type Layouts struct {
	mu sync.Mutex
	m  map[string]*sampleLayout
}

const maxLayouts = 4096

// NewLayouts returns an empty table.
func NewLayouts() *Layouts { return &Layouts{m: map[string]*sampleLayout{}} }

// Compact turns a run's samples into Samples, reusing the layout of the
// probe's previous ones when the samples look the same.
func (t *Layouts) Compact(prev Samples, samples []probes.Sample) Samples {
	if len(samples) == 0 {
		return Samples{}
	}
	values := make([]float64, len(samples))
	for i, s := range samples {
		values[i] = s.Value
	}
	if prev.layout != nil && prev.layout.matches(samples) {
		return Samples{layout: prev.layout, values: values}
	}
	return Samples{layout: t.intern(samples), values: values}
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

func (t *Layouts) intern(samples []probes.Sample) *sampleLayout {
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
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.m[k]; ok {
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
	if len(t.m) < maxLayouts {
		t.m[k] = l
	}
	return l
}
