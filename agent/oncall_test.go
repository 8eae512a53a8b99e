package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"
)

// notified returns the notifications of status, and the annotations of the
// last one.
func notified(h *testutil.Webhook, status string) (int, map[string]string) {
	n := 0
	var ann map[string]string
	for _, g := range h.All() {
		if g.Status == status {
			n++
			ann = g.Alerts[0].Annotations
		}
	}
	return n, ann
}

// A probe that fails: its own alert fires and reaches a real
// Alertmanager with the link to the incident, which the incident pages,
// the JSON API, the review and the period report show; when the probe
// passes again the alert is resolved and the incident closes.
func TestOutageThroughAlertmanagerAndIncident(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	failing.Store(true)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "checkout is down", http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	defer target.Close()
	h := testutil.StartWebhook(t)
	am := testutil.StartAlertmanager(t, h.URL, "")

	ta := startAgent(t, fmt.Sprintf(`
agent: {name: oncall-agent, location: lab}
probes:
  - name: checkout
    target: %s
    interval: 200ms
    timeout: 150ms
    alert: {failures: 3, runbook_url: "https://runbooks.example.com/checkout"}
alerting: {evaluation_interval: 1s}
incidents: {open_after_failures: 3, close_after: 2s}
notifications:
  alertmanagers: [{url: %q}]
  resend_interval: 1s
`, target.URL, am))

	waitFor(t, "the firing notification", func() bool { n, _ := notified(h, "firing"); return n > 0 })
	_, ann := notified(h, "firing")
	if ann["runbook_url"] != "https://runbooks.example.com/checkout" || !strings.HasSuffix(ann["incident_url"], "/incidents/1") {
		t.Errorf("annotations %v", ann)
	}
	var list struct {
		Incidents []struct {
			ID     string   `json:"id"`
			Open   bool     `json:"open"`
			Probes []string `json:"probes"`
		} `json:"incidents"`
	}
	_, body := get(t, ta.web.URL+"/api/v1/incidents")
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Incidents) != 1 || !list.Incidents[0].Open ||
		list.Incidents[0].Probes[0] != "checkout" {
		t.Fatalf("incidents %s (%v)", body, err)
	}
	for path, want := range map[string]string{
		"/incidents":           "Probe checkout is failing",
		"/incidents/1":         "first failed run of checkout",
		"/incidents/1/review":  "## Timeline",
		"/api/v1/incidents/1":  `"trigger": "failures"`,
		"/incidents/2":         "no incident 2",
		"/report?since=1h":     "| 1: Probe checkout is failing |",
		"/report?since=banana": "not a duration",
	} {
		if _, body := get(t, ta.web.URL+path); !strings.Contains(body, want) {
			t.Errorf("%s lacks %q:\n%s", path, want, body)
		}
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"review", "--agent.url=" + ta.web.URL, "1"}, &out, &errOut); code != exitOK ||
		!strings.HasPrefix(out.String(), "# Incident 1: Probe checkout is failing") || !strings.Contains(out.String(), "## Root cause") {
		t.Errorf("sloagent review: %d\n%s%s", code, out.String(), errOut.String())
	}
	if v, _ := ta.value(t, "sloagent_incidents_open", nil); v != 1 {
		t.Errorf("sloagent_incidents_open %v", v)
	}

	failing.Store(false)
	waitFor(t, "the resolved notification", func() bool { n, _ := notified(h, "resolved"); return n > 0 })
	waitFor(t, "the incident to close", func() bool {
		_, body := get(t, ta.web.URL+"/api/v1/incidents/1")
		return strings.Contains(body, `"closed"`)
	})
	if f, _ := notified(h, "firing"); f != 1 {
		t.Errorf("%d firing notifications, want 1", f)
	}
	if v, ok := ta.value(t, "sloagent_notifications_sent_total", map[string]string{"alertmanager": am}); !ok || v < 2 {
		t.Errorf("sloagent_notifications_sent_total %v %v", v, ok)
	}
	if !strings.Contains(ta.logs.String(), `msg="alert firing" alertname=ProbeFailing probe=checkout`) ||
		!strings.Contains(ta.logs.String(), `msg="incident opened" incident=1`) {
		t.Errorf("logs lack the transitions:\n%s", ta.logs.String())
	}
}
