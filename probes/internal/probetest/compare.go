package probetest

import (
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/sloagent/sloagent/probes"
)

// Rendered is a run's samples by family name, each written as its labels
// (sorted by name) and value, `{a="x",b="y"} 1`, so that what two programs
// report for a family compares as one string.
type Rendered map[string]string

// Render writes what blackbox_exporter reported as Rendered.
func Render(mfs map[string]*dto.MetricFamily) Rendered {
	out := Rendered{}
	for name, mf := range mfs {
		var ss []string
		for _, m := range mf.GetMetric() {
			var ls []probes.Label
			for _, l := range m.GetLabel() {
				ls = append(ls, probes.Label{Name: l.GetName(), Value: l.GetValue()})
			}
			ss = append(ss, render(ls, m.GetGauge().GetValue()))
		}
		out[name] = join(ss)
	}
	return out
}

// RenderResult writes a result's samples, and its success as
// probe_success, as Rendered.
func RenderResult(res probes.Result) Rendered {
	out := Rendered{}
	by := map[string][]string{}
	for _, s := range res.Samples {
		by[s.Name] = append(by[s.Name], render(s.Labels, s.Value))
	}
	for name, ss := range by {
		out[name] = join(ss)
	}
	success := 0.0
	if res.Success {
		success = 1
	}
	out["probe_success"] = render(nil, success)
	return out
}

func render(ls []probes.Label, v float64) string {
	ls = slices.Clone(ls)
	slices.SortFunc(ls, func(a, b probes.Label) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name + "=" + strconv.Quote(l.Value))
	}
	b.WriteString("} " + strconv.FormatFloat(v, 'g', -1, 64))
	return b.String()
}

func join(ss []string) string {
	slices.Sort(ss)
	return strings.Join(ss, " ")
}

// Diff lists, one line each, the families of names whose samples differ
// between ours and theirs (blackbox_exporter's); a family one of them does
// not report shows as "none".
func Diff(ours, theirs Rendered, names ...string) []string {
	var out []string
	for _, name := range names {
		o, ok := ours[name]
		if !ok {
			o = "none"
		}
		th, ok := theirs[name]
		if !ok {
			th = "none"
		}
		if o != th {
			out = append(out, name+": ours "+o+", blackbox_exporter's "+th)
		}
	}
	return out
}
