package slo

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// metricsEngine has an SLO with an hour of runs, the last five minutes of
// which fail one run in ten, and an SLO that has seen nothing.
func metricsEngine(t *testing.T) *Engine {
	c := newClock(t0)
	e := mustEngine(t, []Config{
		{Name: "checkout", Probes: []string{"p"}, Objective: 99.9},
		{Name: "idle", Probes: []string{"none"}, Objective: 99, Window: WindowConfig{Calendar: Week, TimeZone: "UTC"}},
	}, nil, c)
	for m := 0; m < 60; m++ {
		start := t0.Add(time.Duration(m) * time.Minute)
		c.Set(start.Add(59 * time.Second))
		bad := 0
		if m >= 55 {
			bad = 1
		}
		observeMinute(e, "p", start, 10, bad)
	}
	return e
}

// The exported metrics are what dashboards and alerts depend on: they are
// locked in testdata/metrics.golden (SLO_UPDATE_GOLDEN=1 rewrites it).
func TestMetricsGolden(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(metricsEngine(t).Collector())
	got := exposition(t, reg)
	golden := filepath.Join("testdata", "metrics.golden")
	if os.Getenv("SLO_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("metrics differ from %s; got:\n%s", golden, got)
	}
	promtool := lookPromtool(t)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(got)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// lookPromtool finds promtool, which comes with Debian's prometheus package.
func lookPromtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (install Debian's prometheus package): %v", err)
	}
	return p
}

func exposition(t *testing.T, g prometheus.Gatherer) []byte {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}
