package browser

import (
	"context"
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
	b, err := Start(context.Background(), opts, t.TempDir(), testLogger(t))
	if err == nil {
		t.Fatal("Start succeeded without Chromium")
	}
	defer b.Close()
	p, err := New(b, "http://127.0.0.1:1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res := p.Probe(ctx, testLogger(t))
		cancel()
		if res.Success || res.Reason != probes.ReasonBrowserUnavailable || !strings.Contains(res.Message, "chromium not found") {
			t.Fatalf("run %d: %v %q %q", i, res.Success, res.Reason, res.Message)
		}
	}
	if st := b.Stats(); st.StartFailures != 1 || st.Up {
		t.Errorf("stats %+v: want one start failure (retries are spaced out)", st)
	}
}

func TestCheckStartsAndStops(t *testing.T) {
	if err := Check(Options{}); err != nil {
		t.Fatal(err)
	}
	if left := ProcessesUsing(""); left != nil {
		t.Fatal(left)
	}
}

func TestRestartAfterRuns(t *testing.T) {
	s := newSite(t)
	b := NewBrowser(Options{RestartAfterRuns: 2}, "", testLogger(t))
	defer b.Close()
	c := parseConfig(t, `steps: [{navigate: /plain}]`)
	var dirs []string
	for i := 0; i < 3; i++ {
		if res := runProbe(t, b, s.URL, c, 30*time.Second); !res.Success {
			t.Fatalf("run %d: %s", i, res.Message)
		}
		dirs = append(dirs, b.ProfileDir())
	}
	if dirs[0] != dirs[1] || dirs[1] == dirs[2] {
		t.Errorf("profiles %v: want a new browser for the third run", dirs)
	}
	if st := b.Stats(); st.Restarts[RestartRuns] != 1 {
		t.Errorf("stats %+v", st)
	}

	// Above the memory limit, the browser is replaced between runs.
	b.mu.Lock()
	b.opts.MemoryLimit = 1
	b.mu.Unlock()
	if res := runProbe(t, b, s.URL, c, 30*time.Second); !res.Success {
		t.Fatalf("run over the memory limit: %s", res.Message)
	}
	dirs = append(dirs, b.ProfileDir())
	if st := b.Stats(); st.Restarts[RestartMemory] != 1 || st.MemoryBytes < 10<<20 {
		t.Errorf("stats %+v: want a memory restart of a browser using more than 10MiB", st)
	}
	// The replaced browser is gone once its stop finished.
	b.Close()
	for _, d := range dirs {
		if left := ProcessesUsing(d); len(left) > 0 {
			t.Errorf("%s: %v", d, left)
		}
	}
}

func TestRunWaitsForAFreeSlot(t *testing.T) {
	s := newSite(t)
	hang := parseConfig(t, `steps: [{navigate: /hang}]`)
	done := make(chan probes.Result, 1)
	go func() { done <- runProbe(t, shared, s.URL, hang, 8*time.Second) }()
	select {
	case <-s.hung:
	case <-time.After(20 * time.Second):
		t.Fatal("the page never started loading")
	}
	res := runProbe(t, shared, s.URL, &Config{}, time.Second)
	if res.Reason != probes.ReasonTimeout || !strings.Contains(res.Message, "max_concurrent_runs") {
		t.Errorf("got %q %q", res.Reason, res.Message)
	}
	if res := <-done; res.Reason != probes.ReasonTimeout {
		t.Errorf("the hanging run: %q %q", res.Reason, res.Message)
	}
}
