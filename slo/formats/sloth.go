package formats

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/slo"
)

// sloth's specs (github.com/slok/sloth, pkg/prometheus/api/v1): the plain
// prometheus/v1 file and the same spec in its Kubernetes resource.
const (
	slothVersion    = "prometheus/v1"
	slothCRDVersion = "sloth.slok.dev/v1"
)

type slothSpec struct {
	Version string            `yaml:"version"`
	Service string            `yaml:"service"`
	Labels  map[string]string `yaml:"labels"`
	Plugins any               `yaml:"slo_plugins"`
	SLOs    []slothSLO        `yaml:"slos"`
}

type slothSLO struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Objective   float64           `yaml:"objective"`
	Plugins     any               `yaml:"plugins"`
	Labels      map[string]string `yaml:"labels"`
	SLI         struct {
		Raw *struct {
			ErrorRatioQuery string `yaml:"error_ratio_query"`
		} `yaml:"raw"`
		Events *struct {
			ErrorQuery string `yaml:"error_query"`
			TotalQuery string `yaml:"total_query"`
		} `yaml:"events"`
		Plugin *struct {
			ID      string            `yaml:"id"`
			Options map[string]string `yaml:"options"`
		} `yaml:"plugin"`
	} `yaml:"sli"`
	Alerting struct {
		Name        string            `yaml:"name"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
		PageAlert   slothAlert        `yaml:"page_alert"`
		TicketAlert slothAlert        `yaml:"ticket_alert"`
	} `yaml:"alerting"`
}

type slothAlert struct {
	Disable     bool              `yaml:"disable"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// importSloth maps a sloth spec: each SLO becomes SERVICE-NAME (the id
// sloth gives it) over the probes labelled service=SERVICE, with sloth's
// default 30-day window and the SRE Workbook's alerts, which are sloth's
// too.
func importSloth(nodes []*yaml.Node) ([]slo.Config, []Warning, error) {
	var ws warnings
	var out []slo.Config
	for i, n := range nodes {
		var spec slothSpec
		var head struct {
			APIVersion string    `yaml:"apiVersion"`
			Kind       string    `yaml:"kind"`
			Metadata   yaml.Node `yaml:"metadata"`
			Spec       yaml.Node `yaml:"spec"`
		}
		if err := n.Decode(&head); err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		body := n
		if head.APIVersion == slothCRDVersion {
			if head.Kind != "PrometheusServiceLevel" {
				return nil, nil, fmt.Errorf("document %d: kind %q is not PrometheusServiceLevel", i+1, head.Kind)
			}
			body = &head.Spec
		}
		if err := decodeStrict(body, &spec); err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if head.APIVersion != slothCRDVersion && spec.Version != slothVersion {
			return nil, nil, fmt.Errorf("document %d: version %q is not %s", i+1, spec.Version, slothVersion)
		}
		if spec.Service == "" {
			return nil, nil, fmt.Errorf("document %d: service is missing", i+1)
		}
		where := "service " + spec.Service
		if len(spec.Labels) > 0 {
			ws.add(where, "labels %s are not kept: the agent's series carry its own labels", keys(spec.Labels))
		}
		if spec.Plugins != nil {
			ws.add(where, "slo_plugins are not kept")
		}
		for _, s := range spec.SLOs {
			c, err := importSlothSLO(spec.Service, s, &ws)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: slo %s: %w", where, s.Name, err)
			}
			out = append(out, c)
		}
	}
	return out, ws, nil
}

func importSlothSLO(service string, s slothSLO, ws *warnings) (slo.Config, error) {
	if s.Name == "" {
		return slo.Config{}, fmt.Errorf("name is missing")
	}
	c := slo.Config{
		Name:          service + "-" + s.Name,
		Description:   s.Description,
		Objective:     s.Objective,
		ProbeSelector: map[string]string{"service": service},
		// sloth's defaults, written out as the OpenSLO import writes them.
		Window:          slo.WindowConfig{Rolling: conf.Duration(30 * 24 * time.Hour)},
		BudgetingMethod: slo.Occurrences,
	}
	where := "slo " + c.Name
	switch {
	case s.SLI.Events != nil:
		ws.add(where, "sli.events (error_query %s; total_query %s) is not kept: the SLO counts the runs of probes labelled service=%s",
			oneLine(s.SLI.Events.ErrorQuery), oneLine(s.SLI.Events.TotalQuery), service)
	case s.SLI.Raw != nil:
		ws.add(where, "sli.raw (error_ratio_query %s) is not kept: the SLO counts the runs of probes labelled service=%s", oneLine(s.SLI.Raw.ErrorRatioQuery), service)
	case s.SLI.Plugin != nil:
		ws.add(where, "sli.plugin %s is not kept: the SLO counts the runs of probes labelled service=%s", s.SLI.Plugin.ID, service)
	default:
		ws.add(where, "has no sli; the SLO counts the runs of probes labelled service=%s", service)
	}
	if len(s.Labels) > 0 {
		ws.add(where, "labels %s are not kept", keys(s.Labels))
	}
	if s.Plugins != nil {
		ws.add(where, "plugins are not kept")
	}
	a := s.Alerting
	if a.Name != "" {
		ws.add(where, "alerting.name %s is not kept: the generated alerts are named SLOErrorBudgetBurn, with labels slo and severity", a.Name)
	}
	if len(a.Labels) > 0 {
		ws.add(where, "alerting.labels %s are not kept", keys(a.Labels))
	}
	for _, k := range slices.Sorted(maps.Keys(a.Annotations)) {
		if k == "runbook" || k == "runbook_url" {
			c.RunbookURL = a.Annotations[k]
			continue
		}
		ws.add(where, "alerting.annotations.%s is not kept", k)
	}
	for _, al := range []struct {
		name string
		a    slothAlert
	}{{"page_alert", a.PageAlert}, {"ticket_alert", a.TicketAlert}} {
		if al.a.Disable {
			ws.add(where, "alerting.%s.disable is not kept: both severities' alerts are generated", al.name)
		}
		if len(al.a.Labels) > 0 {
			ws.add(where, "alerting.%s.labels %s are not kept: the alert's severity label is page or ticket", al.name, keys(al.a.Labels))
		}
		if len(al.a.Annotations) > 0 {
			ws.add(where, "alerting.%s.annotations %s are not kept", al.name, keys(al.a.Annotations))
		}
	}
	return c, nil
}

// keys lists a map's keys in order, for a warning.
func keys(m map[string]string) string { return strings.Join(slices.Sorted(maps.Keys(m)), ", ") }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
