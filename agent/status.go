package agent

import (
	_ "embed"
	"html/template"
	"net/http"
	"time"
)

//go:embed status.html
var statusHTML string

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return now.Sub(t).Round(time.Second).String() + " ago"
	},
	"ms": func(d time.Duration) string {
		return d.Round(100 * time.Microsecond).String()
	},
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(statusHTML))

type statusPage struct {
	Agent   AgentConfig
	Version string
	Config  string
	Now     time.Time
	Started time.Time
	Probes  []snapshot
	Up      int
	Down    int
	Pending int
	Extra   []template.HTML // sections added by SLOs and diagnostics
}

func (a *Agent) serveStatus(w http.ResponseWriter, r *http.Request) {
	cfg := a.config()
	p := statusPage{Version: Version, Config: a.configName(), Now: a.now(), Started: a.started,
		Probes: a.snapshots()}
	if cfg != nil {
		p.Agent = cfg.Agent
	}
	for _, s := range p.Probes {
		switch {
		case !s.HasRun:
			p.Pending++
		case s.Last.Success:
			p.Up++
		default:
			p.Down++
		}
	}
	for _, section := range a.statusSections {
		p.Extra = append(p.Extra, section())
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := statusTemplate.Execute(w, p); err != nil {
		a.log.Error("rendering status page", "err", err)
	}
}
