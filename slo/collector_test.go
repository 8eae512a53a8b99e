package slo

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sloagent/sloagent/internal/expo"
)

// metricsEngine has an SLO with an hour of runs, the last five minutes of
// which fail one run in ten, and an SLO that has seen nothing; its alerts
// are evaluated once.
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
	e.EvaluateAlerts()
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
	promtool := testutil.LookPath(t, "promtool", "prometheus")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(got)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
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

// Write in the text format writes what the registry gathers, with the
// agent's labels in front, for SLOs with and without data, calendar and
// timeslices ones.
func TestWriteTextMatchesCollector(t *testing.T) {
	e := metricsEngine(t)
	cfgs := append(e.snap.Load().cfgs, Config{Name: "ts", Probes: []string{"p"}, Objective: 99, BudgetingMethod: Timeslices,
		Timeslice: TimesliceConfig{GoodThreshold: 0.5}})
	if err := e.Update(cfgs); err != nil {
		t.Fatal(err)
	}
	e.Observe(Event{Probe: "p", Success: true})
	reg := prometheus.NewPedanticRegistry()
	labels := prometheus.Labels{"agent": `a "quoted" \ one`, "zone": "z"}
	prometheus.WrapRegistererWith(labels, reg).MustRegister(e.Collector())
	want := exposition(t, reg)

	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := e.Write(expo.NewText(w), expo.NewLabels([]string{"agent", "zone"}, []string{`a "quoted" \ one`, "z"})); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("parsing Write's text: %v\n%s", err, buf.Bytes())
	}
	var got bytes.Buffer
	enc := expfmt.NewEncoder(&got, expfmt.NewFormat(expfmt.TypeTextPlain))
	names := make([]string, 0, len(fams))
	for name := range fams {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		mf := fams[name]
		for _, m := range mf.Metric {
			sort.Slice(m.Label, func(i, j int) bool { return m.Label[i].GetName() < m.Label[j].GetName() })
		}
		sort.Slice(mf.Metric, func(i, j int) bool { return mf.Metric[i].String() < mf.Metric[j].String() })
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if got.String() != string(want) {
		t.Errorf("Write's text:\n%s\nregistry:\n%s", got.String(), want)
	}
	cmd := exec.Command(testutil.LookPath(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = bytes.NewReader(buf.Bytes())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
