package formats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/slo"
)

// The queries of an exported SLI: the agents' own counters of the SLO's
// events, summed over the fleet as `sloagent rules` sums them.
const (
	goodQuery  = `sum(slo_good_events_total{slo="%s"})`
	totalQuery = `sum(slo_events_total{slo="%s"})`
)

// ExportOpenSLO writes each SLO as an OpenSLO v1 SLO document with its SLI
// and alert policies inline. The indicator counts the agents' good and
// total events of the SLO in Prometheus; which probes feed it, and what
// OpenSLO has no field for, are kept in sloagent.io/ annotations (named in
// the warnings), so importing the output gives back the same SLOs.
func ExportOpenSLO(cfgs []slo.Config) ([]byte, []Warning, error) {
	var ws warnings
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for i := range cfgs {
		doc, err := exportSLO(&cfgs[i], &ws)
		if err != nil {
			return nil, nil, fmt.Errorf("slo %s: %w", cfgs[i].Name, err)
		}
		if err := enc.Encode(doc); err != nil {
			return nil, nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), ws, nil
}

func exportSLO(c *slo.Config, ws *warnings) (any, error) {
	where := "slo " + c.Name
	ann := map[string]string{}
	if len(c.Probes) > 0 {
		ann[annProbes] = strings.Join(c.Probes, ",")
	}
	if len(c.ProbeSelector) > 0 {
		ann[annProbeSelector] = joinSelector(c.ProbeSelector)
	}
	if c.LatencyThreshold > 0 {
		ann[annLatency] = c.LatencyThreshold.String()
		ws.add(where, "latency_threshold %s: OpenSLO has no latency threshold for a ratio SLI; kept in annotation %s, which only sloagent reads (the exported counters already count slow runs as bad)", c.LatencyThreshold, annLatency)
	}
	if c.RunbookURL != "" {
		ann[annRunbook] = c.RunbookURL
		ws.add(where, "runbook_url: OpenSLO has no runbook field; kept in annotation %s", annRunbook)
	}
	if len(c.MaintenanceWindows) > 0 {
		b, err := json.Marshal(maintenanceJSON(c.MaintenanceWindows))
		if err != nil {
			return nil, err
		}
		ann[annMaintenance] = string(b)
		ws.add(where, "maintenance_windows: OpenSLO has none; kept in annotation %s, which only sloagent reads", annMaintenance)
	}

	spec := sloSpec{Description: c.Description}
	spec.Indicator = &sli{
		Metadata: metadata{Name: c.Name},
		Spec: sliSpec{
			Description: "Runs of the sloagent probes that count towards the SLO, from all agents.",
			RatioMetric: &ratioMetric{
				Counter: true,
				Good:    promSource(fmt.Sprintf(goodQuery, c.Name)),
				Total:   promSource(fmt.Sprintf(totalQuery, c.Name)),
			},
		},
	}
	switch {
	case c.Window.Calendar == slo.Month:
		spec.TimeWindow = []timeWindow{{Duration: "1M", Calendar: &calendar{StartTime: "2024-01-01 00:00:00", TimeZone: zone(c.Window.TimeZone)}}}
	case c.Window.Calendar == slo.Week:
		// 2024-01-01 is a Monday, where the agent's weeks start.
		spec.TimeWindow = []timeWindow{{Duration: "1w", Calendar: &calendar{StartTime: "2024-01-01 00:00:00", TimeZone: zone(c.Window.TimeZone)}}}
	default:
		d := c.Window.Rolling
		if d == 0 {
			d = 30 * 24 * 60 * 60 * 1e9
		}
		s, ok := shorthand(d)
		if !ok {
			return nil, fmt.Errorf("window %s is not whole minutes", d)
		}
		spec.TimeWindow = []timeWindow{{Duration: s, IsRolling: true}}
	}
	target := ratio(c.Objective)
	obj := objective{DisplayName: c.Name, Target: &target}
	if c.BudgetingMethod == slo.Timeslices {
		spec.BudgetingMethod = "Timeslices"
		length := c.Timeslice.Length
		if length == 0 {
			length = 60 * 1e9
		}
		s, _ := shorthand(length)
		gt := c.Timeslice.GoodThreshold
		obj.TimeSliceWindow, obj.TimeSliceTarget = s, &gt
	} else {
		spec.BudgetingMethod = "Occurrences"
	}
	spec.Objectives = []objective{obj}

	if len(c.Alerting.Page)+len(c.Alerting.Ticket) == 0 {
		ws.add(where, "alerting: the default multi-window multi-burn-rate alerts (SRE Workbook) are not written out; a tool reading the export applies its own")
	}
	for _, sev := range []struct {
		name   string
		alerts []slo.BurnRateAlert
	}{{"page", c.Alerting.Page}, {"ticket", c.Alerting.Ticket}} {
		for _, a := range sev.alerts {
			long, ok1 := shorthand(a.LongWindow)
			short, ok2 := shorthand(a.ShortWindow)
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("alerting.%s: windows %s and %s are not whole minutes", sev.name, a.LongWindow, a.ShortWindow)
			}
			name := fmt.Sprintf("%s-%s-%s", c.Name, sev.name, long)
			cond := alertCondition{Kind: "AlertCondition", Metadata: metadata{Name: name, Annotations: map[string]string{annShortWindow: short}}}
			cond.Spec.Description = fmt.Sprintf("Burn rate above %g over %s and over %s.", a.BurnRate, long, short)
			cond.Spec.Severity = sev.name
			cond.Spec.Condition.Kind = "burnrate"
			cond.Spec.Condition.Op = "gt"
			cond.Spec.Condition.Threshold = a.BurnRate
			cond.Spec.Condition.LookbackWindow = long
			cond.Spec.Condition.AlertAfter = "0m"
			spec.AlertPolicies = append(spec.AlertPolicies, alertPolicy{
				Kind:     "AlertPolicy",
				Metadata: metadata{Name: name},
				Spec: alertPolicySpec{
					AlertWhenBreaching: true, AlertWhenResolved: true,
					Conditions:          []alertCondition{cond},
					NotificationTargets: []notification{},
				},
			})
		}
	}
	if len(spec.AlertPolicies) > 0 {
		ws.add(where, "alerting: each alert's short window is kept in annotation %s of its condition; OpenSLO's burnrate condition has one lookback window", annShortWindow)
	}
	md := metadata{Name: c.Name}
	if len(ann) > 0 {
		md.Annotations = ann
	}
	return struct {
		APIVersion string   `yaml:"apiVersion"`
		Kind       string   `yaml:"kind"`
		Metadata   metadata `yaml:"metadata"`
		Spec       sloSpec  `yaml:"spec"`
	}{openSLOv1, "SLO", md, spec}, nil
}

func promSource(query string) *metricHolder {
	return &metricHolder{MetricSource: metricSource{Type: "Prometheus", Spec: map[string]any{"query": query}}}
}

// zone is the time zone a calendar window is in: the agent's default, UTC,
// when none is set.
func zone(tz string) string {
	if tz == "" {
		return "UTC"
	}
	return tz
}

// maintenance is a maintenance window in an annotation: times in RFC 3339,
// the period as a duration.
type maintenance struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Every string    `json:"every,omitempty"`
}

func maintenanceJSON(ms []slo.MaintenanceWindow) []maintenance {
	out := make([]maintenance, len(ms))
	for i, m := range ms {
		out[i] = maintenance{Start: m.Start, End: m.End}
		if m.Every > 0 {
			out[i].Every = m.Every.String()
		}
	}
	return out
}
