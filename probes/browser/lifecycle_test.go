package browser

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
)

func TestMissingChromium(t *testing.T) {
	opts := Options{ChromiumPath: "/nonexistent/chromium"}
	err := Check(opts)
	if err == nil || !strings.Contains(err.Error(), "chromium not found at /nonexistent/chromium") {
		t.Fatalf("Check: %v", err)
	}
	var logged bytes.Buffer
	b, err := Start(context.Background(), opts, t.TempDir(), slog.New(slog.NewTextHandler(&logged, nil)))
	if err == nil {
		t.Fatal("Start succeeded without Chromium")
	}
	defer b.Close()
	p, err := New(b, "http://127.0.0.1:1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res := p.Probe(ctx, testLogger(t))
		cancel()
		if res.Success || res.Reason != probes.ReasonBrowserUnavailable || !strings.Contains(res.Message, "chromium not found") {
			t.Fatalf("run %d: %v %q %q", i, res.Success, res.Reason, res.Message)
		}
		if i == 1 {
			// Retries are spaced out; make the next run try again.
			b.mu.Lock()
			b.lastFail = time.Time{}
			b.mu.Unlock()
		}
	}
	if st := b.Stats(); st.StartFailures != 2 || st.Up {
		t.Errorf("stats %+v: want two start failures (retries are spaced out)", st)
	}
	// Said once, then only counted.
	if n := strings.Count(logged.String(), "level="); n != 1 || !strings.Contains(logged.String(), "level=ERROR") {
		t.Errorf("logged %d lines:\n%s", n, logged.String())
	}
}

func TestCheckStartsAndStops(t *testing.T) {
	t.Parallel()
	if err := Check(Options{}); err != nil {
		t.Fatal(err)
	}
	if left := ProcessesUsing(""); left != nil {
		t.Fatal(left)
	}
}

func TestRunWaitsForAFreeSlot(t *testing.T) {
	s := newSite(t)
	hang := parseConfig(t, `steps: [{navigate: /hang}]`)
	slots := shared.opts.maxConcurrent()
	done := make(chan probes.Result, slots)
	for i := 0; i < slots; i++ {
		go func() { done <- runProbe(t, shared, s.URL, hang, 10*time.Second) }()
	}
	for i := 0; i < slots; i++ {
		select {
		case <-s.slow:
		case <-time.After(20 * time.Second):
			t.Fatal("the pages never started loading")
		}
	}
	res := runProbe(t, shared, s.URL, &Config{}, time.Second)
	if res.Reason != probes.ReasonTimeout || !strings.Contains(res.Message, "max_concurrent_runs") {
		t.Errorf("got %q %q", res.Reason, res.Message)
	}
	for i := 0; i < slots; i++ {
		if res := <-done; res.Reason != probes.ReasonTimeout {
			t.Errorf("a hanging run: %q %q", res.Reason, res.Message)
		}
	}
}

// TestConcurrentRuns runs journeys side by side on the one browser, each in
// its own browser context.
func TestConcurrentRuns(t *testing.T) {
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - navigate: /cookie
  - assert_text: {selector: "#seen", contains: "no cookie"}
    timeout: 5s
  - navigate: /cookie
  - assert_text: {selector: "#seen", contains: "cookie yes"}
    timeout: 5s
  - screenshot: concurrent
`)
	n := shared.opts.maxConcurrent() + 1
	results := make(chan probes.Result, n)
	for i := 0; i < n; i++ {
		go func() { results <- runProbe(t, shared, s.URL, c, 40*time.Second) }()
	}
	for i := 0; i < n; i++ {
		if res := <-results; !res.Success {
			t.Errorf("%s: %s", res.Reason, res.Message)
		}
	}
}
