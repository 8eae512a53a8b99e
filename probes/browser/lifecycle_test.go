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
