package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/sloagent/sloagent/internal/testutil"
)

// The helpers every test of the package uses, from internal/testutil.
var (
	waitFor     = testutil.WaitFor
	freePort    = testutil.FreePort
	startServer = testutil.Start
)

// syncBuffer is a log sink that tests can read while the agent writes.
type syncBuffer = testutil.Buffer

// testAgent runs an agent on config text (with %s replaced by args) and
// serves its handler; it is shut down when the test ends.
type testAgent struct {
	*Agent
	file string
	logs *syncBuffer
	web  *httptest.Server
}

func startAgent(t *testing.T, config string) *testAgent {
	t.Helper()
	file := filepath.Join(t.TempDir(), "sloagent.yml")
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	a := loadedAgent(t, Options{ConfigFile: file, StateDir: filepath.Join(filepath.Dir(file), "state"), EnableLifecycle: true, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	a.ready.Store(true)
	web := httptest.NewServer(a.Handler())
	t.Cleanup(web.Close)
	return &testAgent{Agent: a, file: file, logs: logs, web: web}
}

// loadedAgent is an agent with its config loaded and its probes running,
// shut down when the test ends.
func loadedAgent(t testing.TB, opts Options) *Agent {
	t.Helper()
	a := New(opts)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})
	return a
}

func (ta *testAgent) rewrite(t *testing.T, config string) {
	t.Helper()
	if err := os.WriteFile(ta.file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
}

// value returns the value of the first series of name whose labels include
// all of want, and whether there is one.
func (ta *testAgent) value(t *testing.T, name string, want map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := ta.Gatherer().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue metrics
				}
			}
			return metricValue(m), true
		}
	}
	return 0, false
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func targets(t *testing.T) (ok, broken *httptest.Server) {
	ok = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "all good")
	}))
	broken = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(ok.Close)
	t.Cleanup(broken.Close)
	return ok, broken
}

const twoProbes = `
agent:
  name: test-agent
  location: lab
  labels: {env: test}
probes:
  - name: up
    target: %s
    interval: 300ms
    timeout: 250ms
    labels: {team: web}
  - name: down
    target: %s
    interval: 300ms
    timeout: 250ms
`

func TestAgentProbesAndExports(t *testing.T) {
	ok, broken := targets(t)
	ta := startAgent(t, fmt.Sprintf(twoProbes, ok.URL, broken.URL))
	waitFor(t, "both probes to run twice", func() bool {
		u, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "up"})
		d, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "down"})
		return u >= 2 && d >= 2
	})
	common := map[string]string{"agent": "test-agent", "location": "lab", "env": "test"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	if v, found := ta.value(t, "probe_success", with(map[string]string{"probe": "up", "team": "web"})); !found || v != 1 {
		t.Errorf("probe_success{probe=up} = %v (found %v), want 1; log:\n%s", v, found, ta.logs.String())
	}
	if v, _ := ta.value(t, "probe_success", with(map[string]string{"probe": "down", "team": ""})); v != 0 {
		t.Errorf("probe_success{probe=down} = %v, want 0", v)
	}
	if v, _ := ta.value(t, "probe_failures_total", with(map[string]string{"probe": "down", "reason": "status_code"})); v < 2 {
		t.Errorf("probe_failures_total{reason=status_code} = %v, want >= 2", v)
	}
	if v, _ := ta.value(t, "probe_http_status_code", with(map[string]string{"probe": "down"})); v != 503 {
		t.Errorf("probe_http_status_code = %v, want 503", v)
	}
	if v, _ := ta.value(t, "probe_run_duration_seconds", with(map[string]string{"probe": "down"})); v < 2 {
		t.Errorf("failed runs missing from the duration histogram: count %v", v)
	}
	if v, _ := ta.value(t, "sloagent_scheduler_lag_seconds", common); v < 4 {
		t.Errorf("scheduler lag observations = %v, want >= 4", v)
	}
	if v, _ := ta.value(t, "sloagent_build_info", common); v != 1 {
		t.Errorf("sloagent_build_info = %v", v)
	}
	logs := ta.logs.String()
	if !strings.Contains(logs, `msg="probe failed" probe=down reason=status_code`) {
		t.Errorf("no failure log line with probe and reason:\n%s", logs)
	}
	// A failing target is logged at every failed run.
	waitFor(t, "a warning for each of two failed runs", func() bool {
		return strings.Count(ta.logs.String(), `level=WARN msg="probe failed" probe=down reason=status_code`) >= 2
	})

	// The status page names each probe, its state and why it fails.
	code, page := get(t, ta.web.URL+"/")
	if code != 200 || !strings.Contains(page, "status_code") || !strings.Contains(page, ">up<") ||
		!strings.Contains(page, "503") {
		t.Errorf("status page (%d) lacks the probes' state:\n%s", code, page)
	}
}

func TestAgentLogsStateChanges(t *testing.T) {
	var mu sync.Mutex
	failing := false
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer target.Close()
	ta := startAgent(t, fmt.Sprintf("probes:\n  - name: flappy\n    target: %s\n    interval: 100ms\n    timeout: 80ms\n", target.URL))
	waitFor(t, "a successful run", func() bool {
		v, found := ta.value(t, "probe_success", map[string]string{"probe": "flappy"})
		return found && v == 1
	})
	mu.Lock()
	failing = true
	mu.Unlock()
	waitFor(t, "the failure to be logged", func() bool {
		return strings.Contains(ta.logs.String(), `msg="probe started failing" probe=flappy reason=status_code`)
	})
	mu.Lock()
	failing = false
	mu.Unlock()
	waitFor(t, "the recovery to be logged", func() bool {
		return strings.Contains(ta.logs.String(), `msg="probe recovered" probe=flappy`)
	})
}

func TestReloadKeepsRunningConfigWhenBroken(t *testing.T) {
	ok, broken := targets(t)
	ta := startAgent(t, fmt.Sprintf(twoProbes, ok.URL, broken.URL))
	waitFor(t, "runs", func() bool {
		v, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "up"})
		return v >= 2
	})

	ta.rewrite(t, "probes:\n  - name: up\n    target: http://127.0.0.1/\n    timeout: nonsense\n")
	code, body := post(t, ta.web.URL+"/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, "invalid duration") {
		t.Errorf("reload of a broken config: %d %q", code, body)
	}
	if v, _ := ta.value(t, "sloagent_config_last_reload_successful", nil); v != 0 {
		t.Errorf("last reload successful = %v after a failed reload", v)
	}
	if !strings.Contains(ta.logs.String(), "keeping the running config") {
		t.Error("failed reload not logged")
	}
	before, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "up"})
	waitFor(t, "the old config to keep running", func() bool {
		v, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "down"})
		u, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "up"})
		return v > 0 && u > before
	})

	// A good config replaces it; counters of probes that stay go on.
	ta.rewrite(t, fmt.Sprintf("probes:\n  - name: up\n    target: %s\n    interval: 100ms\n    timeout: 80ms\n", ok.URL))
	if code, body := post(t, ta.web.URL+"/-/reload"); code != 200 {
		t.Fatalf("reload: %d %s", code, body)
	}
	after, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "up"})
	if after < before {
		t.Errorf("probe_runs_total went from %v to %v across a reload", before, after)
	}
	if _, found := ta.value(t, "probe_success", map[string]string{"probe": "down"}); found {
		t.Error("removed probe still exported")
	}
	if v, _ := ta.value(t, "sloagent_config_last_reload_successful", nil); v != 1 {
		t.Errorf("last reload successful = %v", v)
	}
	if code, _ := get(t, ta.web.URL+"/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload = %d, want 405", code)
	}
}

func TestConfigEndpointRedactsSecrets(t *testing.T) {
	ok, _ := targets(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("file-token-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLOAGENT_TEST_PASSWORD", "env-password-value")
	ta := startAgent(t, fmt.Sprintf(`
probes:
  - name: secret
    target: %s
    interval: 1h
    http:
      basic_auth:
        username: alice
        password: ${SLOAGENT_TEST_PASSWORD}
      headers:
        X-Api-Key: header-token-value
        User-Agent: sloagent-test
  - name: secret-file
    target: %s
    interval: 1h
    http:
      bearer_token_file: %s
`, ok.URL, ok.URL, tokenFile))
	code, body := get(t, ta.web.URL+"/config")
	if code != 200 {
		t.Fatalf("/config: %d", code)
	}
	for _, secret := range []string{"env-password-value", "header-token-value", "file-token-value"} {
		if strings.Contains(body, secret) {
			t.Errorf("/config shows a secret %q:\n%s", secret, body)
		}
	}
	if !strings.Contains(body, "<secret>") || !strings.Contains(body, "alice") || !strings.Contains(body, "sloagent-test") {
		t.Errorf("/config should show non-secret values and <secret> markers:\n%s", body)
	}
	// The debug run shows the request without its secrets either.
	_, run := post(t, ta.web.URL+"/probes/secret/run?debug=true")
	for _, secret := range []string{"env-password-value", "header-token-value"} {
		if strings.Contains(run, secret) {
			t.Errorf("debug run shows a secret %q:\n%s", secret, run)
		}
	}
	if strings.Contains(ta.logs.String(), "env-password-value") {
		t.Error("a secret reached the log")
	}
}

func TestDebugRunOfConfiguredProbeOnly(t *testing.T) {
	_, broken := targets(t)
	ta := startAgent(t, fmt.Sprintf("probes:\n  - name: down\n    target: %s\n    interval: 1h\n", broken.URL))
	code, body := post(t, ta.web.URL+"/probes/down/run?debug=true")
	if code != 200 {
		t.Fatalf("debug run: %d", code)
	}
	for _, want := range []string{"result:   failure", "reason:   status_code", "probe_http_status_code 503", "level=DEBUG"} {
		if !strings.Contains(body, want) {
			t.Errorf("debug run output lacks %q:\n%s", want, body)
		}
	}
	if code, _ := get(t, ta.web.URL+"/probes/nope/run"); code != http.StatusNotFound {
		t.Errorf("unknown probe: %d, want 404", code)
	}
	if code, _ := post(t, ta.web.URL+"/probes/down/run?target=http://127.0.0.1:1/"); code != 200 {
		t.Errorf("a target parameter must be ignored, not an error: %d", code)
	}
	// A manual run does not count as a scheduled one.
	if v, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "down"}); v != 0 {
		t.Errorf("probe_runs_total = %v after only manual runs", v)
	}
}

func TestHealthAndReady(t *testing.T) {
	ok, _ := targets(t)
	ta := startAgent(t, fmt.Sprintf("probes:\n  - name: up\n    target: %s\n", ok.URL))
	if code, _ := get(t, ta.web.URL+"/-/healthy"); code != 200 {
		t.Errorf("/-/healthy = %d", code)
	}
	if code, _ := get(t, ta.web.URL+"/-/ready"); code != 200 {
		t.Errorf("/-/ready = %d", code)
	}
	ta.ready.Store(false)
	if code, _ := get(t, ta.web.URL+"/-/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/-/ready when not ready = %d", code)
	}
}

// A target that never answers ends in a timeout at the probe's deadline and
// does not stop other probes from running.
func TestHangingTargetDoesNotStallOthers(t *testing.T) {
	ok, _ := targets(t)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer hang.Close()
	ta := startAgent(t, fmt.Sprintf(`
agent: {max_concurrent_runs: 2}
probes:
  - {name: hang, target: %s, interval: 200ms, timeout: 150ms}
  - {name: up, target: %s, interval: 50ms, timeout: 40ms}
`, hang.URL, ok.URL))
	waitFor(t, "timeouts and successes", func() bool {
		to, _ := ta.value(t, "probe_failures_total", map[string]string{"probe": "hang", "reason": "timeout"})
		up, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "up"})
		return to >= 3 && up >= 10
	})
}
