package notify

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/slo"
)

// An outage of an SLO, from its runs through the engine's alert lifecycle
// and the notifier to a real Alertmanager routing to a webhook, gives
// exactly one firing and one resolved notification per severity, with
// the runbook and incident links, the agent's labels and the SLO's.
//
// The SLO's alert windows are the shortest there are (2m and 1m), so the
// alerts resolve about a minute after the outage: the test takes as long.
func TestSLOOutageNotifiesAlertmanagerOnce(t *testing.T) {
	t.Parallel()
	hook := testutil.StartWebhook(t)
	am := testutil.StartAlertmanager(t, hook.URL, "")

	cfg := slo.Config{Name: "checkout", Probes: []string{"p"}, Objective: 99, Window: slo.WindowConfig{Rolling: conf.Duration(24 * time.Hour)},
		RunbookURL: "https://runbooks.example.com/checkout", Labels: map[string]string{"team": "payments"},
		Alerting: slo.AlertingConfig{
			Page:   []slo.BurnRateAlert{{LongWindow: conf.Duration(2 * time.Minute), ShortWindow: conf.Duration(time.Minute), BurnRate: 8}},
			Ticket: []slo.BurnRateAlert{{LongWindow: conf.Duration(2 * time.Minute), ShortWindow: conf.Duration(time.Minute), BurnRate: 6}},
		}}
	e, err := slo.NewEngine([]slo.Config{cfg}, nil, nil, testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ncfg := Config{Alertmanagers: []Target{{URL: am}}, ResendInterval: conf.Duration(time.Second)}
	ncfg.ApplyDefaults()
	n, err := New(ncfg, Source{Agent: "probe-fra-1", Location: "fra", ExternalURL: "http://probe-fra-1.example:9470/",
		Incident: func(a *slo.Alert) string {
			if a.Severity == "page" {
				return "7"
			}
			return ""
		}}, testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	runNotifier(t, n)

	// Two minutes of good runs, every 100ms, then 12 s of failures, then
	// good runs again: the page alert (8% of the runs bad) and the ticket
	// alert (6%) fire within seconds and are resolved when the failures
	// leave the 1m window.
	start := time.Now()
	for at := start.Add(-2 * time.Minute); at.Before(start); at = at.Add(100 * time.Millisecond) {
		e.Observe(slo.Event{Probe: "p", Time: at, Success: true})
	}
	testutil.Every(t, 100*time.Millisecond, func(now time.Time) {
		ok := now.Sub(start) > 12*time.Second
		e.Observe(slo.Event{Probe: "p", Time: now, Success: ok, Reason: "connect"})
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		e.WatchAlerts(ctx, 200*time.Millisecond, nil)
	})
	defer func() { cancel(); wg.Wait() }()
	testutil.Every(t, 200*time.Millisecond, func(now time.Time) { n.Update(now, e.Alerts()) })

	waitFor(t, "firing notifications of both severities", 30*time.Second, func() bool {
		return hook.Count("severity", "page", "firing") > 0 && hook.Count("severity", "ticket", "firing") > 0
	})
	t.Logf("both firing after %v", time.Since(start).Round(time.Second))
	waitFor(t, "resolved notifications of both severities", 2*time.Minute, func() bool {
		return hook.Count("severity", "page", "resolved") > 0 && hook.Count("severity", "ticket", "resolved") > 0
	})
	t.Logf("both resolved after %v", time.Since(start).Round(time.Second))
	// Resends go on for a while; none may become another notification.
	time.Sleep(4 * time.Second)
	for _, sev := range []string{"page", "ticket"} {
		for _, status := range []string{"firing", "resolved"} {
			if c := hook.Count("severity", sev, status); c != 1 {
				t.Errorf("%d %s notifications of the %s alert, want 1", c, status, sev)
			}
		}
	}
	for _, g := range hook.All() {
		if len(g.Alerts) != 1 {
			t.Errorf("notification with %d alerts", len(g.Alerts))
			continue
		}
		a := g.Alerts[0]
		l, ann := a.Labels, a.Annotations
		if l["alertname"] != "SLOErrorBudgetBurn" || l["slo"] != "checkout" || l["agent"] != "probe-fra-1" || l["location"] != "fra" || l["team"] != "payments" {
			t.Errorf("labels: %v", l)
		}
		if ann["runbook_url"] != cfg.RunbookURL || !strings.HasPrefix(ann["summary"], "SLO checkout") || !strings.Contains(ann["reasons"], "connect=") {
			t.Errorf("annotations: %v", ann)
		}
		wantLink := "http://probe-fra-1.example:9470/#slo-checkout"
		if l["severity"] == "page" {
			wantLink = "http://probe-fra-1.example:9470/incidents/7"
			if ann["incident_url"] != wantLink {
				t.Errorf("incident link %q", ann["incident_url"])
			}
		}
		if a.GeneratorURL != wantLink {
			t.Errorf("%s alert links to %q, want %q", l["severity"], a.GeneratorURL, wantLink)
		}
	}
	s := n.Stats()[0]
	if s.Sent < 4 || s.Failed != 0 || s.Dropped != 0 || s.LastSuccess.IsZero() {
		t.Errorf("stats: %+v", s)
	}
}
