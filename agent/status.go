package agent

import (
	_ "embed"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/probes/kinds"
	"github.com/sloagent/sloagent/slo"
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
	"pct": func(v float64) string {
		if math.IsNaN(v) {
			return "no data"
		}
		return strconv.FormatFloat(v*100, 'f', 3, 64) + "%"
	},
	"num": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return strconv.FormatFloat(v, 'f', 2, 64)
	},
	"bar": func(v float64) float64 { return math.Max(0, math.Min(100, v*100)) },
	"kindSummary": func(name string) string {
		if k := kinds.Lookup(name); k != nil {
			return k.Summary
		}
		return ""
	},
}).Parse(statusHTML))

type statusPage struct {
	Agent   config.AgentConfig
	Version string
	Config  string
	Now     time.Time
	Started time.Time
	Probes  []snapshot
	Up      int
	Down    int
	Pending int
	SLOs    []slo.Status
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
	if a.slo != nil {
		p.SLOs = a.slo.Status()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := statusTemplate.Execute(w, p); err != nil {
		a.log.Error("rendering status page", "err", err)
	}
}
