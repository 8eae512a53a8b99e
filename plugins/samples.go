package plugins

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sloagent/sloagent/internal/clip"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/expo"
	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
	"github.com/sloagent/sloagent/probes"
)

// Bounds on what one run of a plugin may export.
const (
	maxMetrics     = 64
	maxLabels      = 8
	maxLabelValue  = 256
	maxHelpLength  = 256
	maxProblemsLog = 8
)

// ownedByAgent reports whether a metric name is the agent's: one of the
// families every probe has (described in package expo), or under the
// agent's own prefixes. The supervisor adds the families of the built-in
// probe kinds (ReserveNames).
func ownedByAgent(name string) bool {
	return expo.Reserved(name) || strings.HasPrefix(name, "sloagent_") || strings.HasPrefix(name, "slo_")
}

// samples converts a plugin's metrics into Result samples, dropping the
// invalid ones and any beyond maxMetrics; it returns why it dropped some.
func samples(ms []*pluginv1.Metric, reserved func(string) bool) ([]probes.Sample, []string) {
	var out []probes.Sample
	var problems []string
	drop := func(format string, args ...any) {
		if len(problems) < maxProblemsLog {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if len(out) == maxMetrics {
			drop("more than %d metrics", maxMetrics)
			break
		}
		s, err := sample(m, reserved)
		if err != nil {
			drop("%v", err)
			continue
		}
		key := seriesKey(s)
		if seen[key] {
			drop("metric %s returned twice with the same labels", s.Name)
			continue
		}
		seen[key] = true
		out = append(out, s)
	}
	return out, problems
}

func sample(m *pluginv1.Metric, reserved func(string) bool) (probes.Sample, error) {
	name := m.GetName()
	switch {
	case !conf.ValidMetricName(name):
		return probes.Sample{}, fmt.Errorf("invalid metric name %q", clip.Head(name, 64))
	case ownedByAgent(name) || (reserved != nil && reserved(name)):
		return probes.Sample{}, fmt.Errorf("metric name %q is reserved for the agent", name)
	case len(m.GetLabels()) > maxLabels:
		return probes.Sample{}, fmt.Errorf("metric %s has more than %d labels", name, maxLabels)
	}
	s := probes.Sample{Name: name, Help: clip.Head(m.GetHelp(), maxHelpLength), Value: m.GetValue()}
	names := map[string]bool{}
	for _, l := range m.GetLabels() {
		switch {
		case !conf.ValidLabelName(l.GetName()):
			return probes.Sample{}, fmt.Errorf("metric %s: invalid label name %q", name, clip.Head(l.GetName(), 64))
		case conf.ReservedLabels[l.GetName()]:
			return probes.Sample{}, fmt.Errorf("metric %s: label %q is set by the agent", name, l.GetName())
		case names[l.GetName()]:
			return probes.Sample{}, fmt.Errorf("metric %s: label %q twice", name, l.GetName())
		}
		names[l.GetName()] = true
		s.Labels = append(s.Labels, probes.Label{Name: l.GetName(), Value: clip.Head(l.GetValue(), maxLabelValue)})
	}
	sort.Slice(s.Labels, func(a, b int) bool { return s.Labels[a].Name < s.Labels[b].Name })
	return s, nil
}

func seriesKey(s probes.Sample) string {
	var b strings.Builder
	b.WriteString(s.Name)
	for _, l := range s.Labels {
		b.WriteString("\xff" + l.Name + "\xfe" + l.Value)
	}
	return b.String()
}
