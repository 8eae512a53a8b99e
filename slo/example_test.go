package slo_test

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sloagent/sloagent/slo"
)

// The agent builds one engine from the slos: list, feeds it every probe run,
// registers its collector and flushes it to the state directory.
func ExampleEngine() {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	cfgs := []slo.Config{{Name: "checkout", Probes: []string{"checkout-fra"}, Objective: 99}}
	e, err := slo.NewEngine(cfgs, nil, func() time.Time { return now }, nil) // nil store: nothing on disk
	if err != nil {
		panic(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.Collector())
	ctx, stop := context.WithCancel(context.Background())
	go e.Run(ctx, time.Minute) // flushes every minute and once more on stop
	defer stop()

	for i := 0; i < 100; i++ {
		e.Observe(slo.Event{Probe: "checkout-fra", Time: now.Add(-time.Duration(i) * time.Second), Success: i != 7, Duration: 80 * time.Millisecond})
	}
	s := e.Status()[0]
	fmt.Printf("SLI %.2f over %d runs, burn rate %.1f, budget left %.0f%%\n", s.Whole.SLI, s.Whole.Events, s.Whole.BurnRate, s.BudgetRemaining*100)
	for _, a := range s.Alerts {
		fmt.Println(a.Severity, "firing:", a.Firing)
	}
	// Output:
	// SLI 0.99 over 100 runs, burn rate 1.0, budget left 0%
	// page firing: false
	// ticket firing: false
}
