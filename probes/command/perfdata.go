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
	exp10, scale, uom := unit(m[2])
	v, err := scaled(m[1], exp10)
	if err != nil {
		return Perf{}, false
	}
	p := Perf{Label: label, Value: v * scale, UOM: uom}
	field := func(i int) string {
		if i < len(f) {
			return strings.TrimSpace(f[i])
		}
		return ""
	}
	p.Warn, p.Crit = field(1), field(2)
	if x, err := scaled(field(3), exp10); err == nil {
		p.Min, p.HasMin = x*scale, true
	}
	if x, err := scaled(field(4), exp10); err == nil {
		p.Max, p.HasMax = x*scale, true
	}
	return p, true
}

// scaled parses the number s times 10^exp10 with one rounding, by moving
// the exponent in the text: 12.3 ms is 0.0123 s, where 12.3 * 1e-3 is
// 0.012300000000000002.
func scaled(s string, exp10 int) (float64, error) {
	s = strings.Replace(s, ",", ".", 1)
	if exp10 == 0 {
		return strconv.ParseFloat(s, 64)
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		var err error
		if exp, err = strconv.Atoi(s[i+1:]); err != nil {
			return 0, err
		}
		mant = s[:i]
	}
	return strconv.ParseFloat(mant+"e"+strconv.Itoa(exp+exp10), 64)
}

// unit returns the power of ten and the (exact, binary) factor to the base
// unit, and the base unit's name.
func unit(uom string) (exp10 int, factor float64, base string) {
	switch uom {
	case "s":
		return 0, 1, "s"
	case "ms":
		return -3, 1, "s"
	case "us":
		return -6, 1, "s"
	case "%":
		return -2, 1, "ratio"
	case "B":
		return 0, 1, "B"
	case "KB":
		return 0, 1 << 10, "B"
	case "MB":
		return 0, 1 << 20, "B"
	case "GB":
		return 0, 1 << 30, "B"
	case "TB":
		return 0, 1 << 40, "B"
	}
	return 0, 1, uom
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
