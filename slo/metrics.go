package slo

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sloagent/sloagent/internal/expo"
)

// Metric names. The raw counters are what the generated rules aggregate
// across agents; the rest is the agent's own view.
const (
	MetricEvents     = "slo_events_total"
	MetricGoodEvents = "slo_good_events_total"
)

// Metrics is one SLO's exported values at one moment, from which Write
// writes its series.
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

// AlertMetrics is the state of one severity's alert, as its lifecycle
// has it (for:, min_events): firing, pending, and when it last changed
// (zero if never).
type AlertMetrics struct {
	Severity        string
	Firing, Pending bool
	LastChange      time.Time
}

// Metrics returns every SLO's values now, in config order. The windows'
// counts are computed once a minute per SLO and kept up to date as runs
// come in, so this costs little whatever the windows' lengths.
func (e *Engine) Metrics() []Metrics {
	now := e.clock()
	snap := e.snap.Load()
	out := make([]Metrics, len(snap.slos))
	var ws []WindowMetrics
	var as []AlertMetrics
	for i, st := range snap.slos {
		ws, as = st.metrics(now, &out[i], ws, as)
		al := snap.alerts[i]
		al.mu.Lock()
		for k := range out[i].Alerts {
			a := &out[i].Alerts[k]
			l := al.lifecycle(sevIndex(a.Severity))
			a.Firing, a.Pending, a.LastChange = l.State == AlertFiring, l.State == AlertPending, l.LastChange
		}
		al.mu.Unlock()
	}
	return out
}

// metrics fills m, taking its windows and alerts from the spare capacity
// of ws and as (so that many SLOs share a few allocations).
func (st *state) metrics(now time.Time, m *Metrics, ws []WindowMetrics, as []AlertMetrics) ([]WindowMetrics, []AlertMetrics) {
	st.mu.Lock()
	defer st.mu.Unlock()
	budget := st.budget
	var buf [maxStackBounds]counts
	sums := st.windowCounts(now, buf[:0])
	if cap(ws)-len(ws) < len(sums) {
		ws = make([]WindowMetrics, 0, max(256, len(sums)))
	}
	if cap(as)-len(as) < len(severities) {
		as = make([]AlertMetrics, 0, 256)
	}
	start := len(ws)
	for i, c := range sums {
		w := WindowMetrics{Name: st.shape.names[i], Events: c.total, HasData: c.total > 0}
		w.SLI = SLI(float64(c.good), float64(c.total))
		w.BurnRate = budget.BurnRate(c.good, c.total)
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
		as = append(as, AlertMetrics{Severity: sev}) // states filled in by Metrics
	}
	m.Alerts = as[start:len(as):len(as)]
	return ws, as
}

// wholeLength is the SLO window's length at now.
func (st *state) wholeLength(now time.Time) time.Duration {
	if st.shape.sp.calendar == "" {
		return st.shape.sp.rolling
	}
	start, end := st.shape.sp.bounds(now)
	return end.Sub(start)
}

// family is one exported metric family, described once: Write takes every
// format's series from this table.
type family struct {
	expo.Family
	// series calls emit with each series of one SLO: the value of the
	// family's own label (if it has one) and the series' value.
	series func(m *Metrics, emit func(label string, v float64))
}

func gauge(name, help string, labels ...string) expo.Family {
	return expo.Family{Name: name, Help: help, Type: expo.Gauge, Labels: labels}
}

func counter(name, help string) expo.Family {
	return expo.Family{Name: name, Help: help, Type: expo.Counter}
}

// families are the SLO metric families, in the order Write writes them (a
// registry's: by name).
var families = []family{
	{gauge("slo_alert_firing", "1 when the multi-window multi-burn-rate alert of the severity fires (its condition held for its for:, with min_events in the long window).", "severity"),
		func(m *Metrics, emit func(string, float64)) {
			for _, a := range m.Alerts {
				emit(a.Severity, b2f(a.Firing))
			}
		}},
	{gauge("slo_alert_last_transition_timestamp_seconds", "When the alert of the severity last changed state (inactive, pending, firing, resolved), in Unix seconds; absent if it never has.", "severity"),
		func(m *Metrics, emit func(string, float64)) {
			for _, a := range m.Alerts {
				if !a.LastChange.IsZero() {
					emit(a.Severity, float64(a.LastChange.UnixNano())/1e9)
				}
			}
		}},
	{gauge("slo_alert_pending", "1 while the alert of the severity is pending: its condition holds, not yet for its for:.", "severity"),
		func(m *Metrics, emit func(string, float64)) {
			for _, a := range m.Alerts {
				emit(a.Severity, b2f(a.Pending))
			}
		}},
	{gauge("slo_burn_rate", "Error ratio over the window divided by the error budget (1 - objective); absent when the window has no events.", "window"),
		func(m *Metrics, emit func(string, float64)) {
			for _, w := range m.Windows {
				if w.HasData {
					emit(w.Name, w.BurnRate)
				}
			}
		}},
	{gauge("slo_error_budget_remaining_ratio", "Share of the SLO window's error budget not yet spent: 1 - burn rate over the SLO window. Negative once overspent."),
		func(m *Metrics, emit func(string, float64)) {
			if m.Windows[len(m.Windows)-1].HasData {
				emit("", m.BudgetRemaining)
			}
		}},
	{counter("slo_events_dropped_total", "Runs not kept in the SLO's history because their time was out of its reach (too old, or ahead of the agent's clock)."),
		func(m *Metrics, emit func(string, float64)) { emit("", float64(m.Dropped)) }},
	{counter(MetricEvents, "Runs counted towards the SLO since it was created in this process."),
		func(m *Metrics, emit func(string, float64)) { emit("", float64(m.Events)) }},
	{counter(MetricGoodEvents, "Good runs counted towards the SLO since it was created in this process."),
		func(m *Metrics, emit func(string, float64)) { emit("", float64(m.Good)) }},
	{gauge("slo_objective_ratio", "Target share of good events (or good timeslices)."),
		func(m *Metrics, emit func(string, float64)) { emit("", m.Objective) }},
	{gauge("slo_sli_ratio", "Share of good events over the window; absent when the window has no events. window=\"slo\" is the whole SLO window.", "window"),
		func(m *Metrics, emit func(string, float64)) {
			for _, w := range m.Windows {
				if w.HasData {
					emit(w.Name, w.SLI)
				}
			}
		}},
	{gauge("slo_time_to_exhaustion_seconds", "Time until the error budget is spent at the current (1h for 30d) burn rate; absent when nothing burns."),
		func(m *Metrics, emit func(string, float64)) {
			if m.Exhausts {
				emit("", m.TimeToExhaustion)
			}
		}},
	{gauge("slo_window_events", "Events (runs, or timeslices with runs for the timeslices method) in the window.", "window"),
		func(m *Metrics, emit func(string, float64)) {
			for _, w := range m.Windows {
				emit(w.Name, float64(w.Events))
			}
		}},
}

// Families are the SLO metric families' descriptions.
func Families() []*expo.Family {
	out := make([]*expo.Family, len(families))
	for i := range families {
		out[i] = &families[i].Family
	}
	return out
}

// Write writes every SLO's series through enc, each with base's labels and
// its slo label. /metrics writes the text and protobuf formats with it
// straight from the engine; Collector sends the same series to a registry.
func (e *Engine) Write(enc expo.Encoder, base *expo.Labels) error {
	ms := e.Metrics()
	labels := e.labels.of(base, ms)
	own := make([]expo.Label, 1)
	// One emit for every series: a closure made per SLO and family was
	// 120,000 allocations a scrape at 10,000 SLOs.
	var f *family
	var ls *expo.Labels
	emit := func(label string, v float64) {
		if len(f.Labels) == 0 {
			enc.Value(ls, nil, v)
			return
		}
		own[0] = expo.Label{Name: f.Labels[0], Value: label}
		enc.Value(ls, own, v)
	}
	for i := range families {
		f = &families[i]
		enc.Family(&f.Family)
		for j := range ms {
			ls = labels[j]
			f.series(&ms[j], emit)
		}
		if err := enc.End(); err != nil {
			return err
		}
	}
	return nil
}

// labelCache keeps each SLO's labels between scrapes: they change only
// with the agent's labels or the SLOs.
type labelCache struct {
	mu   sync.Mutex
	base *expo.Labels
	m    map[string]*expo.Labels
}

// of returns the labels of each of ms's SLOs under base.
func (c *labelCache) of(base *expo.Labels, ms []Metrics) []*expo.Labels {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base != base || c.m == nil {
		c.base, c.m = base, make(map[string]*expo.Labels, len(ms))
	}
	out := make([]*expo.Labels, len(ms))
	for i := range ms {
		ls, ok := c.m[ms[i].Name]
		if !ok {
			if base == nil {
				ls = expo.NewLabels([]string{"slo"}, []string{ms[i].Name})
			} else {
				ls = base.With("slo", ms[i].Name)
			}
			c.m[ms[i].Name] = ls
		}
		out[i] = ls
	}
	return out
}

// collector sends the engine's series to a registry, which adds the
// agent's labels by wrapping.
type collector struct {
	e     *Engine
	descs []*prometheus.Desc
}

// Collector returns the engine's metrics for a registry. Register it on the
// agent's own registry; the agent's labels are added by wrapping the
// registerer.
func (e *Engine) Collector() prometheus.Collector {
	c := &collector{e: e}
	for _, f := range families {
		c.descs = append(c.descs, prometheus.NewDesc(f.Name, f.Help, append([]string{"slo"}, f.Labels...), nil))
	}
	return c
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	_ = c.e.Write(expo.NewMetrics(ch), nil)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
