package agent

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"
)

// The exposed metric names, types and label names are what users' dashboards
// and alerts depend on; the golden file locks them. Regenerate it with
// UPDATE_GOLDEN=1 go test ./agent -run TestMetricsGolden.
func TestMetricsGolden(t *testing.T) {
	ok, broken := targets(t)
	page := pageServer(t)
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer secure.Close()
	ta := startAgent(t, fmt.Sprintf(`
agent: {name: golden, location: lab, labels: {env: test}}
probes:
  - {name: up, target: %s, interval: 2s, timeout: 1500ms, labels: {team: web}}
  - {name: down, target: %s, interval: 2s, timeout: 1500ms}
  - name: tls
    target: %s
    interval: 2s
    timeout: 1500ms
    http: {tls_config: {insecure_skip_verify: true}}
  - name: tcp
    kind: tcp
    target: %s
    interval: 2s
    timeout: 1500ms
    tcp:
      query_response:
        - send: "GET / HTTP/1.0\r\n\r"
        - expect: '^HTTP/1\.\d (\d+)'
          labels: [{name: status, value: '${1}'}]
  - {name: dns, kind: dns, target: %s, interval: 2s, timeout: 1500ms, dns: {query_name: example.test, query_type: A}}
  - {name: icmp, kind: icmp, target: 127.0.0.1, interval: 2s, timeout: 1500ms}
  - {name: grpc, kind: grpc, target: %s, interval: 2s, timeout: 1500ms}
  - name: api
    kind: api
    target: %s
    interval: 2s
    timeout: 1500ms
    api:
      steps:
        - {name: home, request: {url: "{{target}}/"}, assertions: [{body_regexp: good}], extract: [{name: type, header: Content-Type}]}
        - {name: again, request: {url: "{{target}}/", headers: {X-Type: "{{type}}"}}}
  - name: browser
    kind: browser
    target: %s
    interval: 5s
    timeout: 4s
    browser:
      steps:
        - {name: title, assert_text: {selector: "#title", contains: Goodbye}, timeout: 1s}
slos:
  - {name: web, probes: [up, down], objective: 99, window: {rolling: 7d}, runbook_url: "https://runbooks.example.com/web"}
`, ok.URL, broken.URL, secure.URL, strings.TrimPrefix(ok.URL, "http://"), dnsServer(t), grpcServer(t), ok.URL, page.URL))
	// Some families come only with a run's outcome (a certificate's
	// expiry with a TLS handshake that finished, a failure's reason), so
	// the file is compared once each probe has had the outcome it is
	// there for, not merely a run: a run cut short by its timeout on a
	// busy machine lacks them.
	waitFor(t, "every probe's outcome", func() bool {
		for _, p := range []string{"up", "down", "tls", "tcp", "dns", "icmp", "grpc", "api", "browser"} {
			want := 1.0
			if p == "down" || p == "browser" {
				want = 0
			}
			if v, ok := ta.value(t, "probe_success", map[string]string{"probe": p}); !ok || v != want {
				return false
			}
		}
		// A failed browser run has every family of the kind, the Web
		// Vitals of its page included once they arrived.
		_, vitals := ta.value(t, "probe_browser_web_vital_seconds", map[string]string{"probe": "browser"})
		_, failedStep := ta.value(t, "probe_browser_failed_step", map[string]string{"probe": "browser"})
		return vitals && failedStep
	})
	mfs, err := ta.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, mf := range mfs {
		name := mf.GetName()
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue // client_golang's own
		}
		labels := map[string]bool{}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		names := make([]string, 0, len(labels))
		for l := range labels {
			names = append(names, l)
		}
		sort.Strings(names)
		lines = append(lines, fmt.Sprintf("%s %s {%s}", name, strings.ToLower(mf.GetType().String()), strings.Join(names, ",")))
	}
	sort.Strings(lines)
	got := strings.Join(lines, "\n") + "\n"
	const golden = "testdata/metrics.golden"
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("exposed metrics differ from %s (UPDATE_GOLDEN=1 regenerates it if the change is meant):\ngot:\n%swant:\n%s", golden, got, want)
	}

	// promtool, from Debian's prometheus package, finds nothing to report.
	_, body := get(t, ta.web.URL+"/metrics")
	cmd := exec.Command(testutil.LookPath(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
