package slo

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

// TestPrometheusAggregatesTwoEngines runs a real Prometheus (Debian's
// package) that scrapes two engines' metrics over HTTP on loopback and
// evaluates the generated rules. The rule-computed burn rate and budget of
// the SLO summed over both match the engines' own counts combined, within
// 5%: Prometheus sees the counters at scrape times, the engines every run,
// and it extrapolates each target's increase on its own, which matters
// while the series are seconds long.
func TestPrometheusAggregatesTwoEngines(t *testing.T) {
	t.Parallel()
	cfgs := []Config{{Name: "checkout", Probes: []string{"p"}, Objective: 99.9, RunbookURL: "https://runbooks.example.com/checkout"}}
	engines := make([]*Engine, 2)
	var targets []string
	for i := range engines {
		e, err := NewEngine(cfgs, nil, nil, testutil.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		engines[i] = e
		targets = append(targets, serveEngine(t, e))
	}

	// Engine 0: all good; engine 1: 1 run in 20 bad. Together 1 in 40 bad:
	// error ratio 0.025, burn rate 25 at 99.9%.
	testutil.Every(t, 10*time.Millisecond, func(time.Time) {
		for i := 0; i < 20; i++ {
			engines[0].Observe(Event{Probe: "p", Success: true})
			engines[1].Observe(Event{Probe: "p", Success: i != 0})
		}
	})
	prom := rulesPrometheus(t, cfgs, targets...)
	query := func(q string) (float64, bool) { return prom.Value(t, q) }

	// Wait until the page alert fires (every rule has then been evaluated
	// with data from both targets) and each target has 20 samples.
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, ok := query(`ALERTS{alertname="SLOErrorBudgetBurn",alertstate="firing",severity="page",slo="checkout"}`)
		n, _ := query(`count(count_over_time(slo_events_total{slo="checkout"}[1m]) >= 20)`)
		if ok && v == 1 && n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the page alert did not fire or too few scrapes within 60s")
		}
		time.Sleep(500 * time.Millisecond)
	}

	// The engines and Prometheus read the counts at slightly different
	// moments, and a loaded machine can delay a scrape or a rule
	// evaluation; compare until they agree or a generous deadline passes.
	var burn float64
	var mismatch []string
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(time.Second) {
		var good, total uint64
		for _, e := range engines {
			s := e.Status()[0]
			good += s.Whole.Good
			total += s.Whole.Events
		}
		burn = ErrorRatio(float64(good), float64(total)) / 0.001
		mismatch = mismatch[:0]
		for _, w := range []string{"5m", "1h", "30d"} {
			got, ok := query(`slo:burn_rate:ratio_rate` + w + `{slo="checkout"}`)
			if !ok || math.Abs(got-burn)/burn > 0.05 {
				mismatch = append(mismatch, fmt.Sprintf("burn rate over %s: Prometheus %v (%v), engines %v", w, got, ok, burn))
			}
		}
		if len(mismatch) == 0 || time.Now().After(end) {
			break
		}
	}
	for _, m := range mismatch {
		t.Error(m)
	}
	for i, e := range engines {
		if s := e.Status()[0]; firing(s, "page") != (i == 1) {
			t.Errorf("engine %d pages: %v", i, firing(s, "page"))
		}
	}
	got, ok := query(`slo:error_budget_remaining:ratio{slo="checkout"}`)
	if want := 1 - burn; !ok || math.Abs(got-want)/math.Abs(want) > 0.05 {
		t.Errorf("budget remaining: Prometheus %v (%v), engines %v", got, ok, want)
	}
	t.Logf("burn rate: engines %.3f; budget remaining %.3f", burn, 1-burn)
}
