package command

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/sloagent/sloagent/probes"
)

// maxPerfData bounds the performance data items kept from one run.
const maxPerfData = 64

// Output is a check's parsed stdout.
type Output struct {
	// Text is the first line's status text.
	Text string
	// LongText is the following lines' text, without performance data.
	LongText string
	Perf     []Perf
}

// Perf is one performance data item: 'label'=value[UOM];[warn];[crit];[min];[max].
// Values are converted to base units: s, ms and us to seconds (UOM "s"),
// KB, MB, GB and TB to bytes (UOM "B", powers of 1024), % to a ratio of 1
// (UOM "ratio"); "c" (a counter) and other UOMs are kept as written.
type Perf struct {
	Label          string
	Value          float64
	UOM            string
	Warn, Crit     string // thresholds, as written (they are ranges)
	Min, Max       float64
	HasMin, HasMax bool
}

// Parse splits plugin output into text and performance data, following the
// Nagios plugin API: "TEXT | PERF" on the first line, then long text lines,
// the first of which with a '|' starts performance data that runs to the end.
func Parse(out string) Output {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var o Output
	var perf []string
	text, p, _ := strings.Cut(lines[0], "|")
	o.Text = strings.TrimSpace(text)
	perf = append(perf, p)
	var long []string
	inPerf := false
	for _, l := range lines[1:] {
		if inPerf {
			perf = append(perf, l)
			continue
		}
		if t, p, ok := strings.Cut(l, "|"); ok {
			long = append(long, t)
			perf = append(perf, p)
			inPerf = true
			continue
		}
		long = append(long, l)
	}
	o.LongText = strings.TrimSpace(strings.Join(long, "\n"))
	seen := map[string]bool{}
	for _, p := range parsePerf(strings.Join(perf, " ")) {
		if !seen[p.Label] && len(o.Perf) < maxPerfData {
			seen[p.Label] = true
			o.Perf = append(o.Perf, p)
		}
	}
	return o
}

var valueRE = regexp.MustCompile(`^([-+]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?)(.*)$`)

// parsePerf reads space-separated items; an item it cannot read is skipped.
func parsePerf(s string) []Perf {
	var out []Perf
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			return out
		}
		var label string
		if s[0] == '\'' {
			// 'quoted label', with '' for a quote inside.
			var b strings.Builder
			i := 1
			for ; i < len(s); i++ {
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i++
						continue
					}
					break
				}
				b.WriteByte(s[i])
			}
			label, s = b.String(), s[min(i+1, len(s)):]
			if !strings.HasPrefix(s, "=") {
				s = skipItem(s)
				continue
			}
			s = s[1:]
		} else {
			eq := strings.IndexByte(s, '=')
			sp := strings.IndexAny(s, " \t\r\n")
			if eq < 0 || (sp >= 0 && sp < eq) {
				s = skipItem(s)
				continue
			}
			label, s = s[:eq], s[eq+1:]
		}
		end := strings.IndexAny(s, " \t\r\n")
		if end < 0 {
			end = len(s)
		}
		item := s[:end]
		s = s[end:]
		if p, ok := parseItem(label, item); ok {
			out = append(out, p)
		}
	}
}

func skipItem(s string) string {
	if i := strings.IndexAny(s, " \t\r\n"); i >= 0 {
		return s[i:]
	}
	return ""
}

func parseItem(label, item string) (Perf, bool) {
	f := strings.Split(item, ";")
	m := valueRE.FindStringSubmatch(f[0])
	if label == "" || m == nil {
		return Perf{}, false // includes "U", an undetermined value
	}
	v, err := number(m[1])
	if err != nil {
		return Perf{}, false
	}
	scale, uom := unit(m[2])
	p := Perf{Label: label, Value: v * scale, UOM: uom}
	field := func(i int) string {
		if i < len(f) {
			return strings.TrimSpace(f[i])
		}
		return ""
	}
	p.Warn, p.Crit = field(1), field(2)
	if x, err := number(field(3)); err == nil {
		p.Min, p.HasMin = x*scale, true
	}
	if x, err := number(field(4)); err == nil {
		p.Max, p.HasMax = x*scale, true
	}
	return p, true
}

func number(s string) (float64, error) {
	return strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
}

// unit returns the factor to the base unit and the base unit's name.
func unit(uom string) (float64, string) {
	switch uom {
	case "s":
		return 1, "s"
	case "ms":
		return 1e-3, "s"
	case "us":
		return 1e-6, "s"
	case "%":
		return 0.01, "ratio"
	case "B":
		return 1, "B"
	case "KB":
		return 1 << 10, "B"
	case "MB":
		return 1 << 20, "B"
	case "GB":
		return 1 << 30, "B"
	case "TB":
		return 1 << 40, "B"
	}
	return 1, uom
}

// Samples returns the performance data as probe_command_perfdata{label,uom}
// with probe_command_perfdata_min and _max where given.
func (o Output) Samples() []probes.Sample {
	var out []probes.Sample
	for _, p := range o.Perf {
		ls := []probes.Label{{Name: "label", Value: p.Label}, {Name: "uom", Value: p.UOM}}
		out = append(out, probes.Sample{Name: MetricPerfdata, Labels: ls, Value: p.Value})
		if p.HasMin {
			out = append(out, probes.Sample{Name: MetricPerfdataMin, Labels: ls, Value: p.Min})
		}
		if p.HasMax {
			out = append(out, probes.Sample{Name: MetricPerfdataMax, Labels: ls, Value: p.Max})
		}
	}
	return out
}
