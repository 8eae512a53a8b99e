package slo

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

// TestPrometheusAgreesOnAlertStates runs the engine and a real Prometheus
// evaluating the generated rules over the engine's counters during a
// total outage. Both hold the page alert pending for its for: of 4s and
// then fire it; both keep quiet the SLO whose long windows hold fewer
// runs than its min_events.
func TestPrometheusAgreesOnAlertStates(t *testing.T) {
	t.Parallel()
	huge := 1_000_000
	cfgs := []Config{
		{Name: "checkout", Probes: []string{"p"}, Objective: 99.9, Alerting: AlertingConfig{For: SeverityDurations{Page: dur(4 * time.Second)}}},
		{Name: "quiet", Probes: []string{"p"}, Objective: 99.9, Alerting: AlertingConfig{MinEvents: &huge}},
	}
	e, err := NewEngine(cfgs, nil, nil, testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	prom := rulesPrometheus(t, cfgs, serveEngine(t, e))
	query := func(q string) (float64, bool) { return prom.Value(t, q) }

	testutil.Every(t, 10*time.Millisecond, func(time.Time) {
		for i := 0; i < 5; i++ {
			e.Observe(Event{Probe: "p", Success: false, Reason: "connect"})
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var steps []Transition
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.WatchAlerts(ctx, 100*time.Millisecond, func(ts []Transition) {
			mu.Lock()
			steps = append(steps, ts...)
			mu.Unlock()
		})
	}()
	defer func() { cancel(); wg.Wait() }()

	// Prometheus: the page alert seen pending, then firing.
	const page = `ALERTS{alertname="SLOErrorBudgetBurn",slo="checkout",severity="page",alertstate=`
	sawPending := false
	deadline := time.Now().Add(90 * time.Second)
	for {
		if v, ok := query(page + `"pending"}`); ok && v == 1 {
			sawPending = true
		}
		if v, ok := query(page + `"firing"}`); ok && v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Prometheus did not fire the page alert within 90s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !sawPending {
		t.Error("Prometheus fired the page alert without holding it pending first")
	}
	if v, ok := query(`count(ALERTS{slo="quiet"})`); ok {
		t.Errorf("Prometheus has %v alerts of the SLO below min_events", v)
	}

	mu.Lock()
	defer mu.Unlock()
	var pending, firing time.Time
	for _, s := range steps {
		switch {
		case s.SLO == "quiet":
			t.Errorf("the engine moved an alert of the SLO below min_events: %s %s -> %s", s.Severity, s.From, s.State)
		case s.Severity == "page" && s.State == AlertPending:
			pending = s.LastChange
		case s.Severity == "page" && s.State == AlertFiring:
			firing = s.LastChange
		}
	}
	if pending.IsZero() || firing.IsZero() || firing.Sub(pending) < 4*time.Second {
		t.Errorf("engine: page pending at %v, firing at %v; want firing 4s after pending", pending, firing)
	}
}
