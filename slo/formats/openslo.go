package formats

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
)

// The OpenSLO v1 objects, as the specification describes them
// (github.com/OpenSLO/OpenSLO, README, "Specification").
const openSLOv1 = "openslo/v1"

// annotation keys under which an export keeps what OpenSLO has no field
// for, so that importing the export gives back the same SLO.
const (
	annProbes        = "sloagent.io/probes"
	annProbeSelector = "sloagent.io/probe-selector"
	annLatency       = "sloagent.io/latency-threshold"
	annRunbook       = "sloagent.io/runbook-url"
	annMaintenance   = "sloagent.io/maintenance-windows"
	annShortWindow   = "sloagent.io/short-window"
	annPrefix        = "sloagent.io/"
)

type object struct {
	APIVersion string    `yaml:"apiVersion"`
	Kind       string    `yaml:"kind"`
	Metadata   metadata  `yaml:"metadata"`
	Spec       yaml.Node `yaml:"spec"`
}

type metadata struct {
	Name        string            `yaml:"name"`
	DisplayName string            `yaml:"displayName,omitempty"`
	Labels      map[string]any    `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type sloSpec struct {
	Description     string        `yaml:"description,omitempty"`
	Service         string        `yaml:"service,omitempty"`
	Indicator       *sli          `yaml:"indicator,omitempty"`
	IndicatorRef    string        `yaml:"indicatorRef,omitempty"`
	TimeWindow      []timeWindow  `yaml:"timeWindow,omitempty"`
	BudgetingMethod string        `yaml:"budgetingMethod"`
	Objectives      []objective   `yaml:"objectives"`
	AlertPolicies   []alertPolicy `yaml:"alertPolicies,omitempty"`
}

// sli is an SLI inline (metadata and spec) or as a document.
type sli struct {
	APIVersion string   `yaml:"apiVersion,omitempty"`
	Kind       string   `yaml:"kind,omitempty"`
	Metadata   metadata `yaml:"metadata"`
	Spec       sliSpec  `yaml:"spec"`
}

type sliSpec struct {
	Description     string        `yaml:"description,omitempty"`
	ThresholdMetric *metricHolder `yaml:"thresholdMetric,omitempty"`
	RatioMetric     *ratioMetric  `yaml:"ratioMetric,omitempty"`
}

type metricHolder struct {
	MetricSource metricSource `yaml:"metricSource"`
}

type metricSource struct {
	MetricSourceRef string         `yaml:"metricSourceRef,omitempty"`
	Type            string         `yaml:"type,omitempty"`
	Spec            map[string]any `yaml:"spec"`
}

type ratioMetric struct {
	Counter bool          `yaml:"counter"`
	Good    *metricHolder `yaml:"good,omitempty"`
	Bad     *metricHolder `yaml:"bad,omitempty"`
	Total   *metricHolder `yaml:"total,omitempty"`
	RawType string        `yaml:"rawType,omitempty"`
	Raw     *metricHolder `yaml:"raw,omitempty"`
}

type timeWindow struct {
	Duration  string    `yaml:"duration"`
	IsRolling bool      `yaml:"isRolling"`
	Calendar  *calendar `yaml:"calendar,omitempty"`
}

type calendar struct {
	StartTime string `yaml:"startTime"`
	TimeZone  string `yaml:"timeZone"`
}

type objective struct {
	DisplayName     string   `yaml:"displayName,omitempty"`
	Op              string   `yaml:"op,omitempty"`
	Value           *float64 `yaml:"value,omitempty"`
	Target          *float64 `yaml:"target,omitempty"`
	TargetPercent   *float64 `yaml:"targetPercent,omitempty"`
	TimeSliceTarget *float64 `yaml:"timeSliceTarget,omitempty"`
	TimeSliceWindow string   `yaml:"timeSliceWindow,omitempty"`
	Indicator       *sli     `yaml:"indicator,omitempty"`
	IndicatorRef    string   `yaml:"indicatorRef,omitempty"`
	CompositeWeight *float64 `yaml:"compositeWeight,omitempty"`
}

// alertPolicy is an SLO's alert policy: a reference, inline, or a document.
type alertPolicy struct {
	AlertPolicyRef string          `yaml:"alertPolicyRef,omitempty"`
	APIVersion     string          `yaml:"apiVersion,omitempty"`
	Kind           string          `yaml:"kind,omitempty"`
	Metadata       metadata        `yaml:"metadata,omitempty"`
	Spec           alertPolicySpec `yaml:"spec,omitempty"`
}

type alertPolicySpec struct {
	Description         string           `yaml:"description,omitempty"`
	AlertWhenNoData     bool             `yaml:"alertWhenNoData"`
	AlertWhenResolved   bool             `yaml:"alertWhenResolved"`
	AlertWhenBreaching  bool             `yaml:"alertWhenBreaching"`
	Conditions          []alertCondition `yaml:"conditions"`
	NotificationTargets []notification   `yaml:"notificationTargets"`
}

type alertCondition struct {
	ConditionRef string             `yaml:"conditionRef,omitempty"`
	APIVersion   string             `yaml:"apiVersion,omitempty"`
	Kind         string             `yaml:"kind,omitempty"`
	Metadata     metadata           `yaml:"metadata,omitempty"`
	Spec         alertConditionSpec `yaml:"spec,omitempty"`
}

type alertConditionSpec struct {
	Description string `yaml:"description,omitempty"`
	Severity    string `yaml:"severity"`
	Condition   struct {
		Kind           string  `yaml:"kind"`
		Op             string  `yaml:"op"`
		Threshold      float64 `yaml:"threshold"`
		LookbackWindow string  `yaml:"lookbackWindow"`
		AlertAfter     string  `yaml:"alertAfter,omitempty"`
	} `yaml:"condition"`
}

type notification struct {
	TargetRef string         `yaml:"targetRef,omitempty"`
	Kind      string         `yaml:"kind,omitempty"`
	Metadata  metadata       `yaml:"metadata,omitempty"`
	Spec      map[string]any `yaml:"spec,omitempty"`
}

// decodeStrict decodes a node into out, refusing fields the type does not
// have: a field of the specification that this package does not know would
// otherwise be lost without a word.
func decodeStrict(n *yaml.Node, out any) error {
	data, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err = dec.Decode(out)
	if err == nil {
		return nil
	}
	// The lines of the error are those of the re-encoded node: name the
	// lines of the file instead.
	lines := map[int]int{}
	var again yaml.Node
	if yaml.Unmarshal(data, &again) == nil {
		copied := &again
		if copied.Kind == yaml.DocumentNode && n.Kind != yaml.DocumentNode && len(copied.Content) == 1 {
			copied = copied.Content[0]
		}
		mapLines(copied, n, lines)
	}
	line := func(s string) string {
		if l, ok := lines[atoi(s)]; ok {
			return strconv.Itoa(l)
		}
		return "?"
	}
	return errors.New(errorLineRE.ReplaceAllStringFunc(err.Error(), func(m string) string {
		sub := errorLineRE.FindStringSubmatch(m)
		if sub[2] != "" {
			return fmt.Sprintf("line %s: unknown field %q", line(sub[1]), sub[2])
		}
		return "line " + line(sub[1]) + ": "
	}))
}

// errorLineRE finds the lines of yaml.v3's errors, and the unknown fields
// among them.
var errorLineRE = regexp.MustCompile(`line (\d+): (?:field (\S+) not found in type \S+)?`)

// mapLines maps each line of the re-encoded node a to the line of the
// node b it was encoded from: the trees are the same shape.
func mapLines(a, b *yaml.Node, lines map[int]int) {
	if _, ok := lines[a.Line]; !ok {
		lines[a.Line] = b.Line
	}
	if len(a.Content) != len(b.Content) {
		return
	}
	for i := range a.Content {
		mapLines(a.Content[i], b.Content[i], lines)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

var shorthandRE = regexp.MustCompile(`^([1-9][0-9]*)([mhdwMQY])$`)

// parseShorthand reads OpenSLO's duration-shorthand for the units with a
// fixed length (m, h, d, w); calendar units (M, Q, Y) are reported with
// ok false and their count and unit.
func parseShorthand(s string) (d conf.Duration, n int, unit string, ok bool) {
	m := shorthandRE.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, "", false
	}
	n, _ = strconv.Atoi(m[1])
	unit = m[2]
	per := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[unit]
	if per == 0 {
		return 0, n, unit, false
	}
	return conf.Duration(time.Duration(n) * per), n, unit, true
}

// shorthand writes a whole number of minutes in the largest unit that
// divides it.
func shorthand(d conf.Duration) (string, bool) {
	dd := d.D()
	if dd <= 0 || dd%time.Minute != 0 {
		return "", false
	}
	for _, u := range []struct {
		s string
		d time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}} {
		if dd%u.d == 0 {
			return fmt.Sprintf("%d%s", dd/u.d, u.s), true
		}
	}
	return "", false
}

// percent and ratio convert between sloagent's percentages and OpenSLO's
// ratios, rounded as slo rounds them so 99.9 stays 99.9.
func percent(ratio float64) float64 { return math.Round(ratio*1e11) / 1e9 }
func ratio(percent float64) float64 { return math.Round(percent*1e9) / 1e11 }

func joinSelector(sel map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(sel)) {
		parts = append(parts, k+"="+sel[k])
	}
	return strings.Join(parts, ",")
}

func parseSelector(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not label=value", part)
		}
		out[k] = v
	}
	return out, nil
}
