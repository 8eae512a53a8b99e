package slo

import (
	"bufio"
	"time"

	"github.com/sloagent/sloagent/internal/textfmt"
)

// Metrics is one SLO's exported values at one moment: what Collector
// exports, and what WriteText writes without a registry.
type Metrics struct {
	Name      string
	Objective float64
	// Windows are the short windows, ascending, then the SLO window
	// (named "slo").
	Windows []WindowMetrics
	// BudgetRemaining is NaN when the SLO window has no events.
	BudgetRemaining float64
	// TimeToExhaustion is in seconds; Exhausts is false when the budget
	// never runs out at the current burn rate.
	TimeToExhaustion float64
	Exhausts         bool
	Alerts           []AlertMetrics // by severity: page, ticket
	Events, Good     uint64         // runs since the SLO was created in this process
	Dropped          uint64
}

// WindowMetrics is the SLI over one window; the ratios are NaN without
// events.
type WindowMetrics struct {
	Name          string
	Events        uint64
	SLI, BurnRate float64
	HasData       bool
}

// AlertMetrics is whether one severity's alert fires.
type AlertMetrics struct {
	Severity string
	Firing   bool
}

// Metrics returns every SLO's values now, in config order. The windows'
// counts are computed once a minute per SLO and kept up to date as runs
// come in, so this costs little whatever the windows' lengths.
func (e *Engine) Metrics() []Metrics {
	now := e.clock()
	slos := e.snap.Load().slos
	out := make([]Metrics, len(slos))
	var ws []WindowMetrics
	var as []AlertMetrics
	for i, st := range slos {
		ws, as = st.metrics(now, &out[i], ws, as)
	}
	return out
}

// metrics fills m, taking its windows and alerts from the spare capacity
// of ws and as (so that many SLOs share a few allocations).
func (st *state) metrics(now time.Time, m *Metrics, ws []WindowMetrics, as []AlertMetrics) ([]WindowMetrics, []AlertMetrics) {
	st.mu.Lock()
	defer st.mu.Unlock()
	budget := st.cfg.budget()
	sums := st.windowCounts(now)
	if cap(ws)-len(ws) < len(sums) {
		ws = make([]WindowMetrics, 0, max(256, len(sums)))
	}
	if cap(as)-len(as) < len(severities) {
		as = make([]AlertMetrics, 0, 256)
	}
	start := len(ws)
	for i, c := range sums {
		w := WindowMetrics{Name: st.names[i], Events: c.total, HasData: c.total > 0}
		w.SLI = SLI(float64(c.good), float64(c.total))
		w.BurnRate = ErrorRatio(float64(c.good), float64(c.total)) / budget
		ws = append(ws, w)
	}
	*m = Metrics{
		Name: st.cfg.Name, Objective: st.cfg.objective(), Windows: ws[start:len(ws):len(ws)],
		Events: st.events.Load(), Good: st.good.Load(), Dropped: st.dropped.Load(),
	}
	whole := m.Windows[len(m.Windows)-1]
	m.BudgetRemaining = BudgetRemaining(whole.BurnRate)
	if i := st.burnWindow(); i >= 0 {
		var d time.Duration
		d, m.Exhausts = TimeToExhaustion(m.BudgetRemaining, m.Windows[i].BurnRate, st.wholeLength(now))
		m.TimeToExhaustion = d.Seconds()
	}
	start = len(as)
	for _, sev := range severities {
		a := AlertMetrics{Severity: sev}
		for _, p := range st.conds {
			if p.severity == sev && Firing(m.Windows[p.long].BurnRate, m.Windows[p.short].BurnRate, p.factor) {
				a.Firing = true
			}
		}
		as = append(as, a)
	}
	m.Alerts = as[start:len(as):len(as)]
	return ws, as
}

// wholeLength is the SLO window's length at now.
func (st *state) wholeLength(now time.Time) time.Duration {
	if st.sp.calendar == "" {
		return st.sp.rolling
	}
	start, end := st.sp.bounds(now)
	return end.Sub(start)
}

// family is one exported metric family.
type family struct {
	name, help, typ string
	label           string // the family's own label besides slo, if any
	write           func(b []byte, m *Metrics, line func(b []byte, m *Metrics, label string, v float64) []byte) []byte
}

// families are the SLO metric families, in the order WriteText writes
// them (the registry's: by name).
var families = []family{
	{"slo_alert_firing", "1 when the multi-window multi-burn-rate alert of the severity fires.", "gauge", "severity",
		func(b []byte, m *Metrics, line func([]byte, *Metrics, string, float64) []byte) []byte {
			for _, a := range m.Alerts {
				v := 0.0
				if a.Firing {
					v = 1
				}
				b = line(b, m, a.Severity, v)
			}
			return b
		}},
	{"slo_burn_rate", "Error ratio over the window divided by the error budget (1 - objective); absent when the window has no events.", "gauge", "window",
		func(b []byte, m *Metrics, line func([]byte, *Metrics, string, float64) []byte) []byte {
			for _, w := range m.Windows {
				if w.HasData {
					b = line(b, m, w.Name, w.BurnRate)
				}
			}
			return b
		}},
	{"slo_error_budget_remaining_ratio", "Share of the SLO window's error budget not yet spent: 1 - burn rate over the SLO window. Negative once overspent.", "gauge", "",
		func(b []byte, m *Metrics, line func([]byte, *Metrics, string, float64) []byte) []byte {
			if m.Windows[len(m.Windows)-1].HasData {
				b = line(b, m, "", m.BudgetRemaining)
			}
			return b
		}},
	{"slo_events_dropped_total", "Runs not kept in the SLO's history because their time was out of its reach (too old, or ahead of the agent's clock).", "counter", "",
		func(b []byte, m *Metrics, line func([]byte, *Metrics, string, float64) []byte) []byte {
			return line(b, m, "", float64(m.Dropped))
		}},
	{MetricEvents, "Runs counted towards the SLO since it was created in this process.", "counter", "",
		func(b []byte, m *Metrics, line func([]byte, *Metrics, string, float64) []byte) []byte {
			return line(b, m, "", float64(m.Events))
		}},
	{MetricGoodEvents, "Good runs counted towards the SLO since it was created in this process.", "counter", "",
		func(b []byte, m *Metrics, line func([]byte, *Metrics, string, float64) []byte) []byte {
			return line(b, m, "", float64(m.Good))
		}},
	{"slo_objective_ratio", "Target share of good events (or good timeslices).", "gauge", "",
		func(b []byte, m *Metrics, line func([]byte, *Metrics, string, float64) []byte) []byte {
			return line(b, m, "", m.Objective)
		}},
	{"slo_sli_ratio", "Share of good events over the window; absent when the window has no events. window=\"slo\" is the whole SLO window.", "gauge", "window",
		func(b []byte, m *Metrics, line func([]byte, *Metrics, string, float64) []byte) []byte {
			for _, w := range m.Windows {
				if w.HasData {
					b = line(b, m, w.Name, w.SLI)
				}
			}
			return b
		}},
	{"slo_time_to_exhaustion_seconds", "Time until the error budget is spent at the current (1h for 30d) burn rate; absent when nothing burns.", "gauge", "",
		func(b []byte, m *Metrics, line func([]byte, *Metrics, string, float64) []byte) []byte {
			if m.Exhausts {
				b = line(b, m, "", m.TimeToExhaustion)
			}
			return b
		}},
	{"slo_window_events", "Events (runs, or timeslices with runs for the timeslices method) in the window.", "gauge", "window",
		func(b []byte, m *Metrics, line func([]byte, *Metrics, string, float64) []byte) []byte {
			for _, w := range m.Windows {
				b = line(b, m, w.Name, float64(w.Events))
			}
			return b
		}},
}

// MetricNames are the names of the families the SLOs export.
func MetricNames() []string {
	names := make([]string, len(families))
	for i, f := range families {
		names[i] = f.name
	}
	return names
}

// WriteText writes the SLOs' metrics in the Prometheus text format (0.0.4),
// each series with labels (the agent's label pairs, rendered and escaped:
// name="value",...) before its own. It writes what Collector gathers,
// without the registry's cost per series (a Desc, a protobuf message,
// hashing and sorting), which at 10,000 SLOs is most of a scrape. Families
// without series are left out.
func (e *Engine) WriteText(w *bufio.Writer, labels string) error {
	ms := e.Metrics()
	var b []byte
	for i := range families {
		f := &families[i]
		prefix := f.name + "{" + labels
		if labels != "" {
			prefix += ","
		}
		prefix += `slo="`
		line := func(b []byte, m *Metrics, label string, v float64) []byte {
			b = append(b, prefix...)
			b = append(b, m.Name...) // names need no escaping (see nameRE)
			b = append(b, '"')
			if f.label != "" {
				b = append(b, ',')
				b = append(b, f.label...)
				b = append(b, `="`...)
				b = append(b, label...)
				b = append(b, '"')
			}
			b = append(b, "} "...)
			b = textfmt.AppendFloat(b, v)
			return append(b, '\n')
		}
		b = textfmt.AppendHeader(b[:0], f.name, f.help, f.typ)
		head, wrote := len(b), false
		for j := range ms {
			b = f.write(b, &ms[j], line)
			wrote = wrote || len(b) > head
			if len(b) >= 32<<10 {
				if _, err := w.Write(b); err != nil {
					return err
				}
				b, head = b[:0], 0
			}
		}
		if !wrote {
			continue
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
