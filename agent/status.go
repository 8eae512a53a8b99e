package agent

import (
	"bytes"
	_ "embed"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/agent/discovery"
	"github.com/sloagent/sloagent/incident"
	"github.com/sloagent/sloagent/probes/kinds"
	"github.com/sloagent/sloagent/slo"
)

//go:embed status.html
var statusHTML string

// statusTemplate is status.html with the blocks it reserves defined by the
// files that know what goes there (status_browser.html).
var statusTemplate = template.Must(template.Must(template.New("status").Funcs(template.FuncMap{
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return now.Sub(t).Round(time.Second).String() + " ago"
	},
	"ms":      latencyText,
	"mb":      mbText,
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
	// since writes a time and how long ago it was: "03:12:05 UTC (12m ago)".
	"since": func(now, t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		f := "15:04:05 UTC"
		if now.Sub(t) > 20*time.Hour {
			f = "Jan 2 15:04 UTC"
		}
		return t.UTC().Format(f) + " (" + agoText(now.Sub(t)) + " ago)"
	},
	"ratio": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	},
	"runClass": func(r stripRun) string { return [...]string{"r-ok", "r-slow", "r-fail"}[r.State] },
	"runTitle": func(r stripRun) string {
		t := time.Unix(int64(r.At), 0).UTC().Format("15:04:05 UTC")
		switch r.State {
		case runFailed:
			return t + " failed: " + r.Reason
		case runSlow:
			return t + " passed, slower than the SLO's threshold"
		}
		return t + " passed"
	},
	"state": func(s slo.AlertState) string { return s.String() },
	"kindSummary": func(name string) string {
		if k := kinds.Lookup(name); k != nil {
			return k.Summary
		}
		return ""
	},
}).Parse(statusHTML)).Parse(statusBrowserHTML))

type statusPage struct {
	Agent   config.AgentConfig
	Version string
	Config  string
	Now     time.Time
	Started time.Time
	Probes  []probeView
	Up      int
	Down    int
	Slow    int
	Pending int
	SLOs    []slo.Status
	// Discovery is the state of the discovery sources.
	Discovery []discovery.Status
	// What is broken now, for the top of the page: open incidents,
	// alerts firing or pending, failing probes.
	Incidents []incident.Summary
	Alerts    []slo.Alert
	Failing   []probeView
	// Browser is the shared Chromium, nil when no probe needs one.
	Browser *browserPanel
}

// probeView is a probe as the status page shows it.
type probeView struct {
	snapshot
	// Threshold is the lowest latency threshold of the probe's SLOs
	// (0: none); Slow says the last run passed but took longer.
	Threshold time.Duration
	Slow      bool
	Alert     *slo.Alert // the probe's own alert, if it has one
	// Journey is where a failed browser run stopped; nil for other runs.
	Journey *journeyFailure
}

func (a *Agent) serveStatus(w http.ResponseWriter, r *http.Request) {
	cfg := a.config()
	now := a.now()
	p := statusPage{Version: Version, Config: a.configName(), Now: now, Started: a.started}
	if cfg != nil {
		p.Agent = cfg.Agent
	}
	own := map[string]*slo.Alert{}
	if a.slo != nil {
		p.SLOs = a.slo.Status()
		for _, al := range a.alerts() {
			if al.State == slo.AlertFiring || al.State == slo.AlertPending {
				p.Alerts = append(p.Alerts, al)
			}
			if al.Probe != "" {
				own[al.Probe] = &al
			}
		}
	}
	p.Browser = a.browserPanel()
	if a.oncall != nil {
		for _, inc := range a.oncall.incidents.Open() {
			p.Incidents = append(p.Incidents, inc.Summarize(now))
		}
	}
	// Messages may quote a target's URL or what a check printed.
	red := a.redact.Load()
	if a.discovering() {
		for _, st := range a.disc.Status() {
			st.Error = red.String(st.Error)
			p.Discovery = append(p.Discovery, st)
		}
	}
	for _, s := range a.snapshots() {
		s.Last.Message = red.String(s.Last.Message)
		v := probeView{snapshot: s, Alert: own[s.Name]}
		if _, prober := a.probe(s.Name); prober != nil {
			if v.Journey = journeyOf(s, prober); v.Journey != nil {
				v.Journey.On = red.String(v.Journey.On) // a URL may hold a token
			}
		}
		if a.slo != nil && s.Config != nil {
			v.Threshold = a.slo.LatencyThreshold(s.Name, s.Config.Labels)
		}
		v.Slow = s.HasRun && s.Last.Success && v.Threshold > 0 && s.Last.Duration > v.Threshold
		switch {
		case !s.HasRun:
			p.Pending++
		case !s.Last.Success:
			p.Down++
			p.Failing = append(p.Failing, v)
		case v.Slow:
			p.Slow++
			p.Up++
		default:
			p.Up++
		}
		p.Probes = append(p.Probes, v)
	}
	var b bytes.Buffer
	if err := statusTemplate.Execute(&b, p); err != nil {
		a.log.Error("rendering status page", "err", err)
		http.Error(w, "rendering the status page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// agoText writes a duration the way people say how long ago: 45s, 12m,
// 3h10m, 2d4h.
func agoText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h" + strconv.Itoa(int(d%time.Hour/time.Minute)) + "m"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d" + strconv.Itoa(int(d%(24*time.Hour)/time.Hour)) + "h"
}

// latencyText writes a latency to three significant digits, the unit
// chosen for the figure: 1.52 s, 152 ms, 15.2 ms, 840 µs; a minute or more
// as 1m5s.
func latencyText(d time.Duration) string {
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	if d <= 0 {
		return "0 s"
	}
	v := d.Seconds()
	// Rounding first puts 999.7 ms in the next unit, as 1 s.
	step := math.Pow(10, math.Floor(math.Log10(v))-2)
	v = math.Round(v/step) * step
	unit := " s"
	switch {
	case v < 1e-6:
		v, unit = v*1e9, " ns"
	case v < 1e-3:
		v, unit = v*1e6, " µs"
	case v < 1:
		v, unit = v*1e3, " ms"
	}
	decimals := max(0, 2-int(math.Floor(math.Log10(v)+1e-9)))
	t := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(t, ".") {
		t = strings.TrimRight(strings.TrimRight(t, "0"), ".")
	}
	return t + unit
}
