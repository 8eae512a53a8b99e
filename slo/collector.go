package slo

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metric names. The raw counters are what the generated rules aggregate
// across agents; the rest is the agent's own view.
const (
	MetricEvents     = "slo_events_total"
	MetricGoodEvents = "slo_good_events_total"
)

// collector exports every SLO's state at scrape time.
type collector struct {
	e *Engine

	objective, sli, burn, remaining, tte, windowEvents, alert, events, good, dropped *prometheus.Desc
}

// Collector returns the engine's metrics. Register it on the agent's own
// registry; the agent's labels are added by wrapping the registerer.
func (e *Engine) Collector() prometheus.Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append([]string{"slo"}, labels...), nil)
	}
	return &collector{
		e:            e,
		objective:    d("slo_objective_ratio", "Target share of good events (or good timeslices)."),
		sli:          d("slo_sli_ratio", "Share of good events over the window; absent when the window has no events. window=\"slo\" is the whole SLO window.", "window"),
		burn:         d("slo_burn_rate", "Error ratio over the window divided by the error budget (1 - objective); absent when the window has no events.", "window"),
		remaining:    d("slo_error_budget_remaining_ratio", "Share of the SLO window's error budget not yet spent: 1 - burn rate over the SLO window. Negative once overspent."),
		tte:          d("slo_time_to_exhaustion_seconds", "Time until the error budget is spent at the current (1h for 30d) burn rate; absent when nothing burns."),
		windowEvents: d("slo_window_events", "Events (runs, or timeslices with runs for the timeslices method) in the window.", "window"),
		alert:        d("slo_alert_firing", "1 when the multi-window multi-burn-rate alert of the severity fires.", "severity"),
		events:       d(MetricEvents, "Runs counted towards the SLO since it was created in this process."),
		good:         d(MetricGoodEvents, "Good runs counted towards the SLO since it was created in this process."),
		dropped:      d("slo_events_dropped_total", "Runs not kept in the SLO's history because their time was out of its reach (too old, or ahead of the agent's clock)."),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.objective, c.sli, c.burn, c.remaining, c.tte, c.windowEvents, c.alert, c.events, c.good, c.dropped} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	now := c.e.clock()
	for _, st := range c.e.snap.Load().slos {
		s := st.status(now, false)
		g := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{s.Name}, labels...)...)
		}
		g(c.objective, s.Objective)
		for _, w := range append(s.Windows, s.Whole) {
			g(c.windowEvents, float64(w.Events), w.Name)
			if w.HasData() {
				g(c.sli, w.SLI, w.Name)
				g(c.burn, w.BurnRate, w.Name)
			}
		}
		if s.Whole.HasData() {
			g(c.remaining, s.BudgetRemaining)
		}
		if s.Exhausts {
			g(c.tte, s.TimeToExhaustion.Seconds())
		}
		for _, a := range s.Alerts {
			v := 0.0
			if a.Firing {
				v = 1
			}
			g(c.alert, v, a.Severity)
		}
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, float64(s.Events), s.Name)
		ch <- prometheus.MustNewConstMetric(c.good, prometheus.CounterValue, float64(s.GoodEvents), s.Name)
		ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(s.Dropped), s.Name)
	}
}
