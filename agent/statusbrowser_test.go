package agent

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browserFacts are what the status page shows of the browser and of a
// failed journey, read in Chromium.
type browserFacts struct {
	State     string   `json:"state"`
	Runs      string   `json:"runs"`
	Restarts  string   `json:"restarts"`
	Memory    string   `json:"memory"`
	Queue     string   `json:"queue"`
	Processes []string `json:"processes"`
	Journey   string   `json:"journey"`
	Step      string   `json:"step"`
	Failing   string   `json:"failing"`
	Shot      string   `json:"shot"`
	ShotWidth int      `json:"shotWidth"`
	Width     int      `json:"width"`
}

const browserPanelScript = `new Promise(resolve => {
  const q = s => document.querySelector(s);
  const txt = s => { const e = q(s); return e ? e.textContent.replace(/\s+/g, " ").trim() : ""; };
  const read = () => ({
    state: txt(".browser-state"), runs: txt(".browser-runs"), restarts: txt(".browser-restarts"),
    memory: txt(".browser-memory"), queue: txt(".browser-queue"),
    processes: [...document.querySelectorAll("#browser-processes tr.process")].map(r => [...r.cells].map(c => c.textContent.trim()).join("|")),
    journey: txt("#now li.failing .journey"), step: txt("#now li.failing .journey .step"),
    failing: txt("#now li.failing"),
    shot: q("#now .journey img.screenshot") ? q("#now .journey img.screenshot").getAttribute("src") : "",
    shotWidth: q("#now .journey img.screenshot") ? q("#now .journey img.screenshot").naturalWidth : -1,
    width: document.documentElement.scrollWidth,
  });
  const img = q("#now .journey img.screenshot");
  if (!img || img.complete) { resolve(read()); return; }
  img.addEventListener("load", () => resolve(read()));
  img.addEventListener("error", () => resolve(read()));
})`

// The status page shows the shared browser (up, its version, runs and
// restarts, the PSS of each of its processes, the queue for its slots)
// and, for a failed journey, the step it stopped at (its place in the
// journey, the navigation to the target counted), the reason and message,
// and the screenshot inline, which the browser reading the page loads from
// /diagnostics/.
func TestStatusPageShowsTheBrowser(t *testing.T) {
	t.Parallel()
	page := pageServer(t)
	ta := startAgent(t, fmt.Sprintf(`
browser: {max_concurrent_runs: 1}
probes:
  - name: journey
    kind: browser
    target: %s
    interval: 30s
    timeout: 15s
  - name: checkout
    kind: browser
    target: %s
    interval: 30s
    timeout: 15s
    browser:
      steps:
        - {name: title, assert_text: {selector: "#title", contains: Welcome}}
        - {name: pay, click: "#pay", timeout: 1s}
`, page.URL, page.URL))
	defer func() {
		if t.Failed() {
			t.Log(ta.logs.String())
		}
	}()
	waitFor(t, "both journeys to run", func() bool {
		a, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "journey"})
		b, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "checkout"})
		return a >= 1 && b >= 1
	})
	var f browserFacts
	browse(t, ta.web.URL+"/", browserPanelScript, &f)

	version := ta.browser.Stats().Version
	if version == "" || f.State != "up "+version {
		t.Errorf("browser state %q, want up %s", f.State, version)
	}
	if !regexpMatch(`^[1-9]\d* runs · [1-9]\d* starts$`, f.Runs) {
		t.Errorf("browser runs %q", f.Runs)
	}
	if f.Restarts != "0" {
		t.Errorf("browser restarts %q", f.Restarts)
	}
	if !regexpMatch(`^[1-9]\d* MB in \d+ processes$`, f.Memory) || len(f.Processes) < 2 {
		t.Errorf("browser memory %q, processes %q", f.Memory, f.Processes)
	}
	sum := 0
	for i, p := range f.Processes {
		var pid, mb int
		cells := strings.Split(p, "|")
		if len(cells) != 3 {
			t.Fatalf("process row %q", p)
		}
		typ := cells[1]
		_, err1 := fmt.Sscanf(cells[0], "%d", &pid)
		_, err2 := fmt.Sscanf(cells[2], "%d MB", &mb)
		if err1 != nil || err2 != nil || pid <= 0 || typ == "" {
			t.Errorf("process row %q", p)
		}
		if i == 0 && typ != "browser" {
			t.Errorf("the first process is %q, want the browser's main process", p)
		}
		sum += mb
	}
	var total int
	fmt.Sscanf(f.Memory, "%d MB", &total)
	if d := sum - total; d < -len(f.Processes) || d > len(f.Processes) {
		t.Errorf("the processes' PSS add up to %d MB, the total says %d MB", sum, total)
	}
	// Two journeys on one slot: both runs waited, one of them maybe for
	// the other.
	if !regexpMatch(`^[1-9]\d* runs waited for a slot, .+ on average, \d+ longer than 1 s · none skipped$`, f.Queue) {
		t.Errorf("browser queue %q", f.Queue)
	}

	if f.Step != "pay" || !strings.HasPrefix(f.Journey, "at step 3 of 3 pay (click #pay)") {
		t.Errorf("failed journey %q, step %q", f.Journey, f.Step)
	}
	if !strings.Contains(f.Failing, "probe checkout failing since") || !strings.Contains(f.Failing, "timeout") ||
		!strings.Contains(f.Failing, `step "pay" (click #pay): timed out after 1s`) {
		t.Errorf("failing probe %q: want the reason and the message", f.Failing)
	}
	if !regexp.MustCompile(`^diagnostics/.+/screenshot\.png$`).MatchString(f.Shot) || f.ShotWidth <= 0 {
		t.Errorf("screenshot %q shown %d px wide", f.Shot, f.ShotWidth)
	}
	if f.Width > 1280 {
		t.Errorf("the page is %d px wide in a 1280-px window", f.Width)
	}
	resp, err := http.Get(ta.web.URL + "/" + f.Shot)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("%s served as %d %s", f.Shot, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The passing journey has no failure detail.
	_, body := get(t, ta.web.URL+"/")
	if n := strings.Count(body, `<div class="journey">`); n != 1 {
		t.Errorf("%d journey failures on the page, want 1", n)
	}
}

func TestLatencyText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1519900 * time.Microsecond: "1.52 s",
		152 * time.Millisecond:     "152 ms",
		15240 * time.Microsecond:   "15.2 ms",
		840 * time.Microsecond:     "840 µs",
		999700 * time.Microsecond:  "1 s",
		20 * time.Millisecond:      "20 ms",
		65 * time.Second:           "1m5s",
		0:                          "0 s",
	} {
		if got := latencyText(d); got != want {
			t.Errorf("latencyText(%s) = %q, want %q", d, got, want)
		}
	}
}
