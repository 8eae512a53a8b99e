package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/probes"
)

// Four journeys of 2 to 3 s share one browser slot in a one-shot run:
// they queue longer than max_queue_wait and than their own timeout, and
// every one passes, as the queue is sized for them and the wait is not
// part of their timeout.
func TestOnceQueuesBrowserJourneys(t *testing.T) {
	t.Parallel()
	page := pageServer(t)
	dir := t.TempDir()
	var probesYAML strings.Builder
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&probesYAML, `
  - name: journey-%d
    kind: browser
    target: %s
    timeout: 10s
    browser:
      steps:
        - eval: "new Promise(r => setTimeout(() => r(true), 4000))"
`, i, page.URL)
	}
	cfg := writeConfig(t, dir, "queue.yml", `
browser: {max_concurrent_runs: 1, max_queue_wait: 2s}
probes:`+probesYAML.String())
	t0 := time.Now()
	r := runOnceBinary(t, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "state"))
	took := time.Since(t0)
	if r.code != 0 || !strings.Contains(r.stdout, "4 probes: 4 passed, 0 failed\n") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// One at a time: the last waited for three others, longer than
	// max_queue_wait and its own timeout. A journey's timeout leaves
	// it 6 s besides its 4 s step for the browser's start and the page
	// on a busy machine.
	if took < 4*4*time.Second {
		t.Errorf("four journeys of 4 s or more on one slot took %s: they did not queue", took)
	}
}

// A failed browser run names its diagnostics files by absolute path, in
// the text summary and in the JSON one.
func TestOnceNamesDiagnostics(t *testing.T) {
	t.Parallel()
	page := pageServer(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "diag.yml", fmt.Sprintf(`
probes:
  - name: checkout
    kind: browser
    target: %s
    timeout: 20s
    browser:
      steps:
        - {name: title, assert_text: {selector: "#title", contains: Goodbye}, timeout: 2s}
`, page.URL))
	state := "--storage.path=" + filepath.Join(dir, "state")
	diagDir := filepath.Join(dir, "state", "diagnostics")
	checkFiles := func(paths []string) {
		t.Helper()
		png := false
		for _, p := range paths {
			if !filepath.IsAbs(p) || !strings.HasPrefix(p, diagDir+string(filepath.Separator)) {
				t.Errorf("%s is not an absolute path in %s", p, diagDir)
			}
			if _, err := os.Stat(p); err != nil {
				t.Error(err)
			}
			png = png || strings.HasSuffix(p, "/screenshot.png")
		}
		if !png {
			t.Errorf("no screenshot among %v", paths)
		}
	}

	r := runOnceBinary(t, "--config.file="+cfg, state)
	if r.code != 1 || !regexpMatch(`(?m)^checkout\s+FAIL\s+assertion\s`, r.stdout) {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var paths []string
	for _, m := range regexp.MustCompile(`(?m)^diagnostics: (.+)$`).FindAllStringSubmatch(r.stdout, -1) {
		paths = append(paths, m[1])
	}
	checkFiles(paths)

	r = runOnceBinary(t, "--config.file="+cfg, state, "--output=json")
	var s struct {
		Failed int `json:"failed"`
		Probes []struct {
			Diagnostics []string `json:"diagnostics"`
		} `json:"probes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != 1 || s.Failed != 1 || len(s.Probes) != 1 {
		t.Fatalf("exit %d, summary %v:\n%s", r.code, err, r.stdout)
	}
	checkFiles(s.Probes[0].Diagnostics)
}

// A run skipped because no browser slot freed is neither passed nor
// failed, in both summaries, and does not make the exit code a failure's.
func TestOnceReportsSkippedRuns(t *testing.T) {
	skip := fmt.Errorf("no free browser slot: %w: 1 runs (max_concurrent_runs) held the browser for 1m0s (max_queue_wait)", probes.ErrNoSlot)
	if !errors.Is(skip, probes.ErrNoSlot) {
		t.Fatal("not a missing slot")
	}
	now := time.Date(2026, 12, 4, 13, 0, 0, 0, time.UTC)
	run := &onceRun{start: now, diagDir: "/state/diagnostics", results: []onceResult{
		{probe: "home", start: now, res: probes.Result{Success: true, Message: "ok", Duration: time.Second}},
		{probe: "journey", start: now, res: probes.Result{Message: skip.Error()}, skipped: true},
	}}
	if run.failed() != 0 || run.skipped() != 1 {
		t.Fatalf("failed %d, skipped %d", run.failed(), run.skipped())
	}
	var text strings.Builder
	if err := run.writeText(&text); err != nil {
		t.Fatal(err)
	}
	if !regexpMatch(`(?m)^journey\s+SKIP\s+0s\s+no free browser slot`, text.String()) ||
		!strings.Contains(text.String(), "2 probes: 1 passed, 0 failed, 1 skipped (no browser slot)\n") ||
		strings.Contains(text.String(), "diagnostics:") {
		t.Errorf("text summary:\n%s", text.String())
	}
	var js strings.Builder
	if err := run.writeJSON(&js, &config.Config{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"passed": 1`, `"failed": 0`, `"skipped": 1`, `"skipped": true`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("JSON summary lacks %s:\n%s", want, js.String())
		}
	}
}
