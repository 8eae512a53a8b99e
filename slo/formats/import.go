package formats

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/slo"
)

// openSLODocs are the objects of an OpenSLO file: its SLOs and, by kind
// and name, the objects they may refer to.
type openSLODocs struct {
	slos       []object
	slis       refs[sli]
	policies   refs[alertPolicy]
	conditions refs[alertCondition]
}

// refs are the objects of one kind, by name, and which of them an SLO
// refers to.
type refs[T any] struct {
	kind string
	docs map[string]*T
	used map[string]bool
}

func newRefs[T any](kind string) refs[T] {
	return refs[T]{kind: kind, docs: map[string]*T{}, used: map[string]bool{}}
}

// decode adds the document n, named name.
func (r refs[T]) decode(n *yaml.Node, name string) error {
	v := new(T)
	r.docs[name] = v
	return decodeStrict(n, v)
}

// resolve returns the object that field refers to by name, and where it
// is ("Kind name"), and marks it used.
func (r refs[T]) resolve(field, name string) (*T, string, error) {
	v := r.docs[name]
	if v == nil {
		return nil, "", fmt.Errorf("%s: no %s named %q in the file", field, r.kind, name)
	}
	r.used[name] = true
	return v, r.kind + " " + name, nil
}

// warnUnused warns of each object no SLO refers to, by name.
func (r refs[T]) warnUnused(ws *warnings) {
	for _, name := range slices.Sorted(maps.Keys(r.docs)) {
		if !r.used[name] {
			ws.add(r.kind+" "+name, "no SLO refers to it, so it is not imported")
		}
	}
}

func importOpenSLO(nodes []*yaml.Node) ([]slo.Config, []Warning, error) {
	var ws warnings
	d := openSLODocs{slis: newRefs[sli]("SLI"), policies: newRefs[alertPolicy]("AlertPolicy"), conditions: newRefs[alertCondition]("AlertCondition")}
	var others []object
	for i, n := range nodes {
		var o object
		if err := decodeStrict(n, &o); err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if o.APIVersion != openSLOv1 {
			return nil, nil, fmt.Errorf("document %d (%s %s): apiVersion %q: only %s is read", i+1, o.Kind, o.Metadata.Name, o.APIVersion, openSLOv1)
		}
		if o.Metadata.Name == "" {
			return nil, nil, fmt.Errorf("document %d (%s): metadata.name is missing", i+1, o.Kind)
		}
		var err error
		switch o.Kind {
		case "SLO":
			d.slos = append(d.slos, o)
		case "SLI":
			err = d.slis.decode(n, o.Metadata.Name)
		case "AlertPolicy":
			err = d.policies.decode(n, o.Metadata.Name)
		case "AlertCondition":
			err = d.conditions.decode(n, o.Metadata.Name)
		case "Service", "DataSource", "AlertNotificationTarget":
			others = append(others, o)
		default:
			return nil, nil, fmt.Errorf("document %d: kind %q is not an OpenSLO v1 kind", i+1, o.Kind)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", o.Kind, o.Metadata.Name, err)
		}
	}
	var out []slo.Config
	for _, o := range d.slos {
		c, err := d.importSLO(o, &ws)
		if err != nil {
			return nil, nil, fmt.Errorf("SLO %s: %w", o.Metadata.Name, err)
		}
		out = append(out, c)
	}
	d.slis.warnUnused(&ws)
	d.policies.warnUnused(&ws)
	d.conditions.warnUnused(&ws)
	for _, o := range others {
		switch o.Kind {
		case "Service":
			ws.add("Service "+o.Metadata.Name, "services are not kept; an SLO's spec.service becomes its probe_selector {service: NAME}")
		case "DataSource":
			ws.add("DataSource "+o.Metadata.Name, "data sources are not kept: the agent's SLOs count its own probes' runs")
		default:
			ws.add("AlertNotificationTarget "+o.Metadata.Name, "notification targets are not kept: the agent's alerts go to the Alertmanager its config names")
		}
	}
	return out, ws, nil
}

var exportedQueryRE = regexp.MustCompile(`^sum\(slo_(good_)?events_total\{slo="([^"]+)"\}\)$`)

func (d *openSLODocs) importSLO(o object, ws *warnings) (slo.Config, error) {
	where := "SLO " + o.Metadata.Name
	var spec sloSpec
	if err := decodeStrict(&o.Spec, &spec); err != nil {
		return slo.Config{}, err
	}
	c := slo.Config{Name: o.Metadata.Name, Description: spec.Description}
	if o.Metadata.DisplayName != "" {
		ws.add(where, "metadata.displayName %q is not kept (the SLO goes by its name)", o.Metadata.DisplayName)
	}
	if len(o.Metadata.Labels) > 0 {
		ws.add(where, "metadata.labels %s are not kept: the agent's SLOs have no labels of their own", strings.Join(slices.Sorted(maps.Keys(o.Metadata.Labels)), ", "))
	}
	ann := o.Metadata.Annotations
	for _, k := range slices.Sorted(maps.Keys(ann)) {
		if err := applyAnnotation(&c, k, ann[k]); err != nil {
			return c, fmt.Errorf("annotation %s: %w", k, err)
		}
		if !strings.HasPrefix(k, annPrefix) {
			ws.add(where, "annotation %s is not kept", k)
		}
	}

	// The indicator: which probes' runs count.
	ind, indWhere := spec.Indicator, where+": spec.indicator"
	if ind == nil && spec.IndicatorRef != "" {
		var err error
		if ind, indWhere, err = d.slis.resolve("spec.indicatorRef", spec.IndicatorRef); err != nil {
			return c, err
		}
	}
	if ind == nil && len(spec.Objectives) > 0 && (spec.Objectives[0].Indicator != nil || spec.Objectives[0].IndicatorRef != "") {
		return c, fmt.Errorf("a composite SLO (indicators per objective) has no counterpart here: import each objective as an SLO of its own")
	}
	if ind == nil {
		return c, fmt.Errorf("spec.indicator or spec.indicatorRef is missing")
	}
	if !isExported(ind, c.Name) {
		ws.add(indWhere, "its queries (%s) are not kept: the agent's SLOs count runs of its probes", describeSLI(ind))
	}
	if len(c.Probes) == 0 && len(c.ProbeSelector) == 0 {
		if spec.Service != "" {
			c.ProbeSelector = map[string]string{"service": spec.Service}
		} else {
			// "slo" is a label the agent sets itself; the SLI names what
			// the probes measure.
			name := ind.Metadata.Name
			if name == "" {
				name = c.Name
			}
			c.ProbeSelector = map[string]string{"sli": name}
		}
		ws.add(where, "counts the runs of probes labelled %s (probe_selector); label the probes that measure it so", joinSelector(c.ProbeSelector))
	} else if spec.Service != "" && c.ProbeSelector["service"] != spec.Service {
		ws.add(where, "spec.service %q is not kept", spec.Service)
	}

	// Window.
	switch len(spec.TimeWindow) {
	case 0:
		ws.add(where, "spec.timeWindow is not set; the window is the default, rolling 30d")
	case 1:
		importWindow(&c, spec.TimeWindow[0], where, ws)
	default:
		return c, fmt.Errorf("spec.timeWindow has %d items; OpenSLO allows exactly one", len(spec.TimeWindow))
	}

	// Objective and budgeting method.
	if len(spec.Objectives) == 0 {
		return c, fmt.Errorf("spec.objectives is empty")
	}
	obj := spec.Objectives[0]
	switch {
	case obj.Target != nil:
		c.Objective = percent(*obj.Target)
	case obj.TargetPercent != nil:
		c.Objective = *obj.TargetPercent
	default:
		return c, fmt.Errorf("spec.objectives[0]: target or targetPercent is missing")
	}
	if obj.Op != "" || obj.Value != nil {
		ws.add(where, "spec.objectives[0]: op and value (a threshold on the metric) are not kept; a run is good when its probe succeeds (and within latency_threshold)")
	}
	if obj.CompositeWeight != nil {
		ws.add(where, "spec.objectives[0].compositeWeight is not kept")
	}
	if obj.DisplayName != "" && obj.DisplayName != c.Name {
		ws.add(where, "spec.objectives[0].displayName %q is not kept", obj.DisplayName)
	}
	for i, extra := range spec.Objectives[1:] {
		ws.add(where, "spec.objectives[%d] (%s) is not imported: an SLO here has one objective", i+1, describeObjective(extra))
	}
	switch spec.BudgetingMethod {
	case "Occurrences":
		c.BudgetingMethod = slo.Occurrences
	case "Timeslices":
		c.BudgetingMethod = slo.Timeslices
		if obj.TimeSliceTarget == nil {
			return c, fmt.Errorf("spec.objectives[0].timeSliceTarget is required with budgetingMethod Timeslices")
		}
		c.Timeslice.GoodThreshold = *obj.TimeSliceTarget
		if obj.TimeSliceWindow != "" {
			d, _, _, ok := parseShorthand(obj.TimeSliceWindow)
			if !ok {
				if mins, err := time.ParseDuration(obj.TimeSliceWindow + "m"); err == nil {
					d, ok = conf.Duration(mins), true
				}
			}
			if !ok {
				return c, fmt.Errorf("spec.objectives[0].timeSliceWindow %q is not a duration", obj.TimeSliceWindow)
			}
			c.Timeslice.Length = d
		}
	case "RatioTimeslices":
		c.BudgetingMethod = slo.Occurrences
		ws.add(where, "budgetingMethod RatioTimeslices (the mean of the slices' ratios) has no counterpart; imported as occurrences")
	default:
		return c, fmt.Errorf("spec.budgetingMethod %q is not Occurrences, Timeslices or RatioTimeslices", spec.BudgetingMethod)
	}

	for i, p := range spec.AlertPolicies {
		if err := d.importPolicy(&c, p, fmt.Sprintf("%s: spec.alertPolicies[%d]", where, i), ws); err != nil {
			return c, fmt.Errorf("spec.alertPolicies[%d]: %w", i, err)
		}
	}
	return c, nil
}

func applyAnnotation(c *slo.Config, key, value string) error {
	var err error
	switch key {
	case annProbes:
		c.Probes = strings.Split(value, ",")
	case annProbeSelector:
		c.ProbeSelector, err = parseSelector(value)
	case annLatency:
		err = c.LatencyThreshold.UnmarshalYAML(&yaml.Node{Kind: yaml.ScalarNode, Value: value})
	case annRunbook:
		c.RunbookURL = value
	case annMaintenance:
		var ms []maintenance
		if err = json.Unmarshal([]byte(value), &ms); err != nil {
			return err
		}
		for _, m := range ms {
			w := slo.MaintenanceWindow{Start: m.Start, End: m.End}
			if m.Every != "" {
				if err = w.Every.UnmarshalYAML(&yaml.Node{Kind: yaml.ScalarNode, Value: m.Every}); err != nil {
					return err
				}
			}
			c.MaintenanceWindows = append(c.MaintenanceWindows, w)
		}
	default:
		if strings.HasPrefix(key, annPrefix) {
			return fmt.Errorf("not an annotation sloagent writes")
		}
	}
	return err
}

func isExported(s *sli, name string) bool {
	r := s.Spec.RatioMetric
	if r == nil || !r.Counter || r.Good == nil || r.Total == nil || r.Bad != nil || r.Raw != nil {
		return false
	}
	g, _ := r.Good.MetricSource.Spec["query"].(string)
	t, _ := r.Total.MetricSource.Spec["query"].(string)
	return g == fmt.Sprintf(goodQuery, name) && t == fmt.Sprintf(totalQuery, name) && exportedQueryRE.MatchString(g)
}

func describeSLI(s *sli) string {
	var parts []string
	add := func(what string, h *metricHolder) {
		if h == nil {
			return
		}
		q := fmt.Sprint(h.MetricSource.Spec["query"])
		if _, ok := h.MetricSource.Spec["query"]; !ok {
			q = fmt.Sprint(h.MetricSource.Spec)
		}
		parts = append(parts, fmt.Sprintf("%s %s", what, q))
	}
	if s.Spec.ThresholdMetric != nil {
		add("threshold", s.Spec.ThresholdMetric)
	}
	if r := s.Spec.RatioMetric; r != nil {
		add("good", r.Good)
		add("bad", r.Bad)
		add("total", r.Total)
		add("raw", r.Raw)
	}
	return strings.Join(parts, "; ")
}

func describeObjective(o objective) string {
	switch {
	case o.DisplayName != "":
		return o.DisplayName
	case o.Target != nil:
		return fmt.Sprintf("target %g", *o.Target)
	case o.TargetPercent != nil:
		return fmt.Sprintf("targetPercent %g", *o.TargetPercent)
	}
	return "no target"
}

func importWindow(c *slo.Config, w timeWindow, where string, ws *warnings) {
	d, n, unit, fixed := parseShorthand(w.Duration)
	rolling := w.IsRolling || w.Calendar == nil
	switch {
	case rolling && fixed:
		c.Window.Rolling = d
	case !rolling && w.Duration == "1M":
		c.Window.Calendar = slo.Month
	case !rolling && (w.Duration == "1w" || w.Duration == "7d"):
		c.Window.Calendar = slo.Week
	case rolling && unit == "M":
		c.Window.Rolling = conf.Duration(time.Duration(n) * 30 * 24 * time.Hour)
		ws.add(where, "rolling window %s is taken as %dd (30 days a month)", w.Duration, n*30)
	default:
		ws.add(where, "time window %s (%s) has no counterpart (windows here are rolling, or a calendar month or week); the window is the default, rolling 30d",
			w.Duration, map[bool]string{true: "rolling", false: "calendar"}[rolling])
		return
	}
	if rolling {
		return
	}
	if tz := w.Calendar.TimeZone; tz != "UTC" {
		c.Window.TimeZone = tz
	}
	start, err := time.Parse("2006-01-02 15:04:05", w.Calendar.StartTime)
	aligned := err == nil && start.Hour() == 0 && start.Minute() == 0 && start.Second() == 0 &&
		(c.Window.Calendar == slo.Month && start.Day() == 1 || c.Window.Calendar == slo.Week && start.Weekday() == time.Monday)
	if !aligned {
		ws.add(where, "calendar.startTime %q is not kept: calendar periods here start at midnight on the first of the month (or on Monday)", w.Calendar.StartTime)
	}
}

func (d *openSLODocs) importPolicy(c *slo.Config, p alertPolicy, where string, ws *warnings) error {
	if p.AlertPolicyRef != "" {
		ref, refWhere, err := d.policies.resolve("alertPolicyRef", p.AlertPolicyRef)
		if err != nil {
			return err
		}
		p, where = *ref, refWhere
	}
	s := p.Spec
	if len(s.NotificationTargets) > 0 {
		ws.add(where, "notificationTargets are not kept: the agent's alerts go to the Alertmanager its config names")
	}
	if s.AlertWhenNoData {
		ws.add(where, "alertWhenNoData is not kept: no data is no alert here")
	}
	if !s.AlertWhenBreaching {
		ws.add(where, "alertWhenBreaching is false, so the policy raises no alert; not imported")
		return nil
	}
	for _, cond := range s.Conditions {
		cw := where
		if cond.ConditionRef != "" {
			ref, refWhere, err := d.conditions.resolve("conditionRef", cond.ConditionRef)
			if err != nil {
				return err
			}
			cond, cw = *ref, refWhere
		}
		k := cond.Spec.Condition
		if k.Kind != "" && k.Kind != "burnrate" || k.Op != "gt" && k.Op != "gte" {
			ws.add(cw, "condition %s %s %g is not imported: alerts here fire when the burn rate rises above a threshold", k.Kind, k.Op, k.Threshold)
			continue
		}
		long, _, _, ok := parseShorthand(k.LookbackWindow)
		if !ok {
			return fmt.Errorf("%s: lookbackWindow %q is not minutes, hours, days or weeks", cw, k.LookbackWindow)
		}
		short := conf.Duration(max(time.Minute, (long.D() / 12).Truncate(time.Minute)))
		if s, ok := cond.Metadata.Annotations[annShortWindow]; ok {
			if short, _, _, ok = parseShorthand(s); !ok {
				return fmt.Errorf("%s: annotation %s: %q is not a duration", cw, annShortWindow, s)
			}
		} else {
			ws.add(cw, "the short window of the burn-rate alert is taken as 1/12 of lookbackWindow %s (%s), as the SRE Workbook pairs them", k.LookbackWindow, short)
		}
		if a, _, _, _ := parseShorthand(k.AlertAfter); a > 0 {
			ws.add(cw, "alertAfter %s is not kept: the short window already keeps a brief spike from firing", k.AlertAfter)
		}
		alert := slo.BurnRateAlert{LongWindow: long, ShortWindow: short, BurnRate: k.Threshold}
		switch strings.ToLower(cond.Spec.Severity) {
		case "page", "critical":
			c.Alerting.Page = append(c.Alerting.Page, alert)
		case "ticket", "warning":
			c.Alerting.Ticket = append(c.Alerting.Ticket, alert)
		default:
			c.Alerting.Ticket = append(c.Alerting.Ticket, alert)
			ws.add(cw, "severity %q is imported as ticket (the severities here are page and ticket)", cond.Spec.Severity)
		}
	}
	return nil
}
