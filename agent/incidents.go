package agent

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/sloagent/sloagent/incident"
)

//go:embed incidents.html
var incidentsHTML string

var incidentsTemplate = template.Must(template.New("incidents").Funcs(template.FuncMap{
	"utc": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"dur": func(d time.Duration) string {
		if d >= time.Hour {
			return d.Round(time.Minute).String()
		}
		return d.Round(time.Second).String()
	},
	"pct": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	},
	"image": func(name string) bool {
		n := strings.ToLower(name)
		return strings.HasSuffix(n, ".png") || strings.HasSuffix(n, ".jpg") || strings.HasSuffix(n, ".jpeg")
	},
	"join": strings.Join,
}).Parse(incidentsHTML))

// incidentsPeriod is how far back /incidents lists closed incidents.
const incidentsPeriod = 30 * 24 * time.Hour

type incidentsPage struct {
	Agent     string
	Now       time.Time
	Incidents []incident.Summary
}

type incidentPage struct {
	Agent    string
	Now      time.Time
	Incident *incident.Incident
}

// registerIncidents adds the incident pages and their JSON API.
func (a *Agent) registerIncidents(mux *http.ServeMux) {
	mux.HandleFunc("GET /incidents", a.serveIncidents)
	mux.HandleFunc("GET /incidents/{id}", a.serveIncident)
	mux.HandleFunc("GET /incidents/{id}/review", a.serveReview)
	mux.HandleFunc("GET /api/v1/incidents", a.serveIncidents)
	mux.HandleFunc("GET /api/v1/incidents/{id}", a.serveIncident)
	mux.HandleFunc("GET /report", a.serveReport)
}

func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Query().Get("format") == "json"
}

func (a *Agent) tracker(w http.ResponseWriter) *incident.Tracker {
	if a.oncall == nil {
		http.Error(w, "no incidents: the agent has not loaded a config yet", http.StatusServiceUnavailable)
		return nil
	}
	return a.oncall.incidents
}

// incidentOf returns the incident the request's path names, or writes
// why there is none and returns nil.
func (a *Agent) incidentOf(w http.ResponseWriter, r *http.Request) *incident.Incident {
	tr := a.tracker(w)
	if tr == nil {
		return nil
	}
	inc, ok := tr.Get(r.PathValue("id"))
	if !ok {
		http.Error(w, "no incident "+r.PathValue("id"), http.StatusNotFound)
		return nil
	}
	return inc
}

func (a *Agent) serveIncidents(w http.ResponseWriter, r *http.Request) {
	tr := a.tracker(w)
	if tr == nil {
		return
	}
	now := a.now()
	list := tr.List(now.Add(-incidentsPeriod), now)
	sums := make([]incident.Summary, len(list))
	for i, inc := range list {
		sums[i] = inc.Summarize(now)
	}
	if wantsJSON(r) {
		writeJSON(w, map[string]any{"incidents": sums})
		return
	}
	a.render(w, "list", incidentsPage{Agent: a.agentName(), Now: now, Incidents: sums})
}

func (a *Agent) serveIncident(w http.ResponseWriter, r *http.Request) {
	inc := a.incidentOf(w, r)
	if inc == nil {
		return
	}
	if wantsJSON(r) {
		writeJSON(w, inc)
		return
	}
	a.render(w, "incident", incidentPage{Agent: a.agentName(), Now: a.now(), Incident: inc})
}

// serveReview writes the Markdown draft of an incident's review.
func (a *Agent) serveReview(w http.ResponseWriter, r *http.Request) {
	inc := a.incidentOf(w, r)
	if inc == nil {
		return
	}
	var b bytes.Buffer
	if err := incident.Review(&b, inc, a.now(), strings.TrimRight(a.externalURL(), "/")); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// serveReport writes the period report (?since=7d, the default) in
// Markdown.
func (a *Agent) serveReport(w http.ResponseWriter, r *http.Request) {
	tr := a.tracker(w)
	if tr == nil {
		return
	}
	since := 7 * 24 * time.Hour
	if s := r.URL.Query().Get("since"); s != "" {
		d, err := model.ParseDuration(s)
		if err != nil || d <= 0 {
			http.Error(w, "since: not a duration such as 7d: "+s, http.StatusBadRequest)
			return
		}
		since = time.Duration(d)
	}
	now := a.now()
	cfg := a.config()
	p := incident.Period{From: now.Add(-since), To: now, SLOs: a.slo.Period(now.Add(-since), now),
		Incidents: tr.List(now.Add(-since), now), Days: tr.Days(now.Add(-since), now)}
	if cfg != nil {
		p.Agent, p.Location = cfg.Agent.Name, cfg.Agent.Location
	}
	var b bytes.Buffer
	if err := incident.Report(&b, p, now); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

func (a *Agent) agentName() string {
	if cfg := a.config(); cfg != nil {
		return cfg.Agent.Name
	}
	return ""
}

func (a *Agent) render(w http.ResponseWriter, name string, data any) {
	var b bytes.Buffer
	if err := incidentsTemplate.ExecuteTemplate(&b, name, data); err != nil {
		a.log.Error("rendering incident page", "err", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
