package agent

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/probes/browser"
)

func pageServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!DOCTYPE html><html><body><h1 id="title">Welcome</h1></body></html>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A browser probe runs in the agent's shared Chromium, exports its metrics,
// leaves a screenshot for a failed run that the status page links to, and
// no Chromium process outlives the agent.
func TestBrowserProbesInTheAgent(t *testing.T) {
	page := pageServer(t)
	ta := startAgent(t, fmt.Sprintf(`
browser: {max_concurrent_runs: 2}
probes:
  - name: journey
    kind: browser
    target: %s
    interval: 20s
    timeout: 15s
    browser:
      steps:
        - {name: title, assert_text: {selector: "#title", contains: Welcome}}
  - name: broken-journey
    kind: browser
    target: %s
    interval: 20s
    timeout: 15s
    browser:
      steps:
        - {name: title, assert_text: {selector: "#title", contains: Goodbye}}
`, page.URL, page.URL))
	defer func() {
		if t.Failed() {
			t.Log(ta.logs.String())
		}
	}()
	waitFor(t, "both browser probes to run", func() bool {
		a, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "journey"})
		b, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "broken-journey"})
		return a >= 1 && b >= 1
	})
	if v, _ := ta.value(t, "probe_success", map[string]string{"probe": "journey"}); v != 1 {
		t.Errorf("journey probe_success = %v\n%s", v, ta.logs.String())
	}
	if _, found := ta.value(t, "probe_browser_step_duration_seconds", map[string]string{"probe": "journey", "step": "title"}); !found {
		t.Error("no step duration exported")
	}
	if v, _ := ta.value(t, "sloagent_browser_up", nil); v != 1 {
		t.Errorf("sloagent_browser_up = %v", v)
	}
	if v := ta.browser.Stats().Version; v == "" {
		t.Error("no browser version")
	} else if n, _ := ta.value(t, "sloagent_browser_info", map[string]string{"version": v}); n != 1 {
		t.Errorf("sloagent_browser_info{version=%q} = %v", v, n)
	}
	if v, found := ta.value(t, "sloagent_browser_queue_timeouts_total", nil); !found || v != 0 {
		t.Errorf("sloagent_browser_queue_timeouts_total = %v (found %v), want 0", v, found)
	}
	snaps := ta.snapshots()
	var failed snapshot
	for _, s := range snaps {
		if s.Name == "broken-journey" {
			failed = s
		}
	}
	if failed.Last.Success || len(failed.Last.Diagnostics) == 0 {
		t.Fatalf("broken journey: success %v, diagnostics %v", failed.Last.Success, failed.Last.Diagnostics)
	}
	_, status := get(t, ta.web.URL+"/")
	var png string
	for _, d := range failed.Last.Diagnostics {
		if !strings.Contains(status, "diagnostics/"+d) {
			t.Errorf("status page does not link %s", d)
		}
		if strings.HasSuffix(d, ".png") {
			png = d
		}
	}
	if png == "" {
		t.Fatalf("no screenshot among %v", failed.Last.Diagnostics)
	}
	resp, err := http.Get(ta.web.URL + "/diagnostics/" + png)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("screenshot served as %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(ta.logs.String(), "diagnostics=") {
		t.Error("the failure log line does not name the diagnostics")
	}

	profile := ta.browser.ProfileDir()
	if profile == "" {
		t.Fatal("no browser profile")
	}
	ta.Shutdown(t.Context())
	if pids := browser.ProcessesUsing(profile); len(pids) > 0 {
		t.Errorf("Chromium processes left after shutdown: %v", pids)
	}
}

// Without Chromium, check-config says so, browser runs fail with
// browser_unavailable, and HTTP probes keep running.
func TestMissingChromium(t *testing.T) {
	page := pageServer(t)
	config := fmt.Sprintf(`
browser: {chromium_path: /nonexistent/chromium}
probes:
  - {name: journey, kind: browser, target: %s, interval: 300ms, timeout: 250ms}
  - {name: plain, target: %s, interval: 100ms, timeout: 90ms}
`, page.URL, page.URL)
	file := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	if code := Main([]string{"check-config", file}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "/nonexistent/chromium") {
		t.Errorf("check-config: exit %d, stderr %q", code, errb.String())
	}

	ta := startAgent(t, config)
	if !strings.Contains(ta.logs.String(), "did not start") {
		t.Errorf("no clear startup error:\n%s", ta.logs.String())
	}
	waitFor(t, "browser runs to fail and HTTP runs to succeed", func() bool {
		f, _ := ta.value(t, "probe_failures_total", map[string]string{"probe": "journey", "reason": "browser_unavailable"})
		p, _ := ta.value(t, "probe_success", map[string]string{"probe": "plain"})
		return f >= 2 && p == 1
	})
	if v, _ := ta.value(t, "probe_success", map[string]string{"probe": "journey"}); v != 0 {
		t.Errorf("browser probe without a browser: probe_success = %v", v)
	}
	// The agent's own trouble is said once; later runs failing the same
	// way are counted, and logged at debug level only.
	waitFor(t, "a repeated failure at debug level", func() bool {
		return strings.Contains(ta.logs.String(), `level=DEBUG msg="probe failed" probe=journey reason=browser_unavailable`)
	})
	if n := strings.Count(ta.logs.String(), `level=WARN msg="probe failed" probe=journey`); n != 1 {
		t.Errorf("%d warnings for the journey's failures, want 1:\n%s", n, ta.logs.String())
	}
}

// A browser run that finds no free slot within max_queue_wait is skipped,
// not failed: it is counted in the browser's queue timeouts and the
// probe's skipped runs, and the SLO never sees it.
func TestBrowserRunWithoutASlotIsSkipped(t *testing.T) {
	page := pageServer(t)
	ta := startAgent(t, fmt.Sprintf(`
browser: {max_concurrent_runs: 1, max_queue_wait: 1s}
probes:
  - name: slow
    kind: browser
    target: %s
    interval: 60s
    timeout: 30s
    browser:
      steps:
        - eval: "new Promise(r => setTimeout(() => r(true), 20000))"
  - name: quick
    kind: browser
    target: %s
    interval: 3s
    timeout: 2500ms
`, page.URL, page.URL))
	defer func() {
		if t.Failed() {
			t.Log(ta.logs.String())
		}
	}()
	waitFor(t, "a run skipped for want of a browser slot", func() bool {
		q, _ := ta.value(t, "sloagent_browser_queue_timeouts_total", nil)
		s, _ := ta.value(t, "sloagent_probe_skipped_runs_total", map[string]string{"probe": "quick"})
		return q >= 1 && s >= 1
	})
	logs := ta.logs.String()
	if !strings.Contains(logs, `msg="run skipped" probe=quick why="no free browser slot`) {
		t.Error("the skip is not logged with its cause")
	}
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `msg="probe failed"`) && strings.Contains(l, "slot") {
			t.Errorf("a skipped run failed: %s", l)
		}
	}
	if v, _ := ta.value(t, "probe_failures_total", map[string]string{"probe": "quick", "reason": "internal"}); v != 0 {
		t.Errorf("skipped runs counted as failures: %v", v)
	}
}
