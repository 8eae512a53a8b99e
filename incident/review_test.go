package incident

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// golden compares got with testdata/name; UPDATE_GOLDEN=1 rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (UPDATE_GOLDEN=1 rewrites it if the change is meant); got:\n%s", path, got)
	}
}

// The review of the checkout outage: every section, the figures of the
// incident, the timeline in UTC and in Berlin time, the screenshots
// inline, the runbook.
func TestReview(t *testing.T) {
	t.Parallel()
	s := newScenario(t, Config{}, nil)
	s.run(t0.Add(8 * time.Hour))
	incs := s.tr.List(t0, s.c.Now())
	if len(incs) != 1 {
		t.Fatalf("%d incidents", len(incs))
	}
	var b bytes.Buffer
	if err := Review(&b, incs[0], s.c.Now(), "http://probe-fra-1.example:9470"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# Incident ", ": Probe checkout is failing\n",
		"## Summary", "## Impact", "## Detection", "## Timeline", "## What the probes saw", "## Runbook", "## Root cause", "## Follow-ups",
		"| Failed runs | 34 of 35 runs of the affected probes |",
		"| UTC | Europe/Berlin | Event |",
		"| 2026-01-01 06:00:00 | 2026-01-01 07:00:00 CET | first failed run of checkout: connect: dial tcp 10.0.0.7:443: connect: connection refused |",
		"- Time to detect: 4m0s",
		"| 24 | timeout | timed out after 10s waiting for the response headers | 2026-01-01 06:05:00 UTC | 2026-01-01 06:16:30 UTC |",
		"![checkout-060500.png](http://probe-fra-1.example:9470/diagnostics/checkout-060500.png)",
		"- Phases of the last failed run that had them: resolve 2ms, connect 3ms, tls 20ms, processing 10s",
		"- <https://runbooks.example.com/checkout>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("review lacks %q", want)
		}
	}
	golden(t, "review.golden.md", b.Bytes())
}

// The period report of the day: the SLOs' attainment and budget, the
// incident, the reasons per probe; a probe that fails five times in the
// day is listed as flapping.
func TestPeriodReport(t *testing.T) {
	t.Parallel()
	s := newScenario(t, Config{}, nil)
	s.run(t0.Add(8 * time.Hour))
	for i := 0; i < 5; i++ { // a flapping probe: one failure an hour
		at := t0.Add(time.Duration(9+i) * time.Hour)
		s.c.Set(at)
		s.tr.Record(Run{Probe: "dns", Time: at, Success: false, Reason: "dns", Message: "no such host"})
		s.tr.Record(Run{Probe: "dns", Time: at.Add(time.Minute), Success: true})
	}
	from, to := t0, s.c.Now()
	p := Period{From: from, To: to, Agent: "probe-fra-1", Location: "fra", SLOs: s.e.Period(from, to),
		Incidents: s.tr.List(from, to), Days: s.tr.Days(from, to)}
	var b bytes.Buffer
	if err := Report(&b, p, to); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| checkout | 99.500% | 96.462% (below objective) | 961 | 707.6% | -607.6% | calendar month (Europe/Berlin) |",
		"| api | 99.900% | 100.000% | 961 | 0.0% | 100.0% | rolling 30d |",
		"| 1: Probe checkout is failing | 2026-01-01 06:00:00 UTC | 17m0s | 4m0s | 34 | checkout (",
		"| checkout | 961 | 34 (3.5%) | timeout ×24, connect ×10 |",
		"| dns | 5 | 5 of 10 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	golden(t, "report.golden.md", b.Bytes())
}
