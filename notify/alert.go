package notify

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sloagent/sloagent/slo"
)

// postable is an alert as Alertmanager's v2 API takes it (POST
// /api/v2/alerts takes a list of them).
//
// Written here rather than taken from alertmanager/api/v2/models: that
// package pulls in 50 packages (go-openapi, the MongoDB BSON driver) and
// makes a program that only prints one of its values 11 MB, for a JSON
// object of five fields.
type postable struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Source is who sends the alerts: the labels every alert carries and the
// agent's URL for links.
type Source struct {
	Agent    string // the agent label
	Location string // the location label, when set
	// ExternalURL is the agent's URL as people reach it
	// (http://probe-fra-1:9470/); links in alerts start with it.
	ExternalURL string
	// Incident returns the ID of the incident an alert belongs to, or ""
	// (nil: no links to incidents).
	Incident func(a *slo.Alert) string
}

// link is the agent's URL of path.
func (s *Source) link(path string) string {
	if s.ExternalURL == "" {
		return ""
	}
	return strings.TrimRight(s.ExternalURL, "/") + "/" + strings.TrimLeft(path, "/")
}

// labels are the alert's identity: alertname, slo or probe, severity,
// agent, location and the alert's own labels.
func (s *Source) labels(a *slo.Alert) map[string]string {
	l := make(map[string]string, len(a.Labels)+6)
	for k, v := range a.Labels {
		l[k] = v
	}
	l["alertname"], l["severity"] = a.Name, a.Severity
	if a.SLO != "" {
		l["slo"] = a.SLO
	}
	if a.Probe != "" {
		l["probe"] = a.Probe
	}
	if s.Agent != "" {
		l["agent"] = s.Agent
	}
	if s.Location != "" {
		l["location"] = s.Location
	}
	return l
}

// postable builds what is sent for a: a firing alert ends at endsAt
// unless sent again, a resolved one ended when it was resolved.
func (s *Source) postable(a *slo.Alert, endsAt time.Time) postable {
	p := postable{Labels: s.labels(a), StartsAt: a.FiringSince, EndsAt: endsAt,
		Annotations: map[string]string{"summary": a.Summary, "description": a.Description}}
	if a.State == slo.AlertResolved {
		p.EndsAt = a.ResolvedAt
	}
	if a.RunbookURL != "" {
		p.Annotations["runbook_url"] = a.RunbookURL
	}
	if len(a.Reasons) > 0 {
		p.Annotations["reasons"] = slo.ReasonsText(a.Reasons)
	}
	// The link goes to the incident when there is one, else to the SLO
	// (or probe) on the status page.
	switch id := s.incident(a); {
	case id != "":
		p.GeneratorURL = s.link("incidents/" + url.PathEscape(id))
		if p.GeneratorURL != "" {
			p.Annotations["incident_url"] = p.GeneratorURL
		}
	case a.SLO != "":
		p.GeneratorURL = s.link("#slo-" + url.PathEscape(a.SLO))
	default:
		p.GeneratorURL = s.link("#probe-" + url.PathEscape(a.Probe))
	}
	return p
}

func (s *Source) incident(a *slo.Alert) string {
	if s.Incident == nil {
		return ""
	}
	return s.Incident(a)
}

// key identifies an alert across evaluations: its labels, sorted.
func key(labels map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(labels[k])
		b.WriteByte(0)
	}
	return b.String()
}
