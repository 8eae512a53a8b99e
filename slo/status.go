package slo

import (
	"time"

	"github.com/sloagent/sloagent/internal/intdiv"
)

// Status is one SLO at one moment: what the metrics export and the status
// page shows. Ratios are NaN when their window has no data.
type Status struct {
	Name        string
	Description string
	RunbookURL  string
	Objective   float64 // a ratio: 0.999 for 99.9
	Method      string  // occurrences or timeslices
	Window      string  // "rolling 30d", "calendar month (Europe/Berlin)"
	// WindowStart and WindowEnd bound the SLO window; for a calendar
	// window WindowEnd is the end of the period, in the future.
	WindowStart, WindowEnd time.Time
	Now                    time.Time

	// Windows are the short windows, ascending; Whole is the SLO window.
	Windows []WindowStatus
	Whole   WindowStatus

	BudgetRemaining float64
	// TimeToExhaustion is how long the remaining budget lasts at the burn
	// rate over BurnWindow; Exhausts is false when it never runs out.
	TimeToExhaustion time.Duration
	Exhausts         bool
	BurnWindow       time.Duration

	Alerts []AlertStatus

	// Events and GoodEvents count runs since the SLO was created in this
	// process; Dropped the runs too old or too far ahead to be kept.
	Events, GoodEvents, Dropped uint64

	// Budget is the burn-down over the window: at each point, the share
	// of the current budget not yet spent by the bad events up to then.
	Budget []BudgetPoint
}

// WindowStatus is the SLI over one window. Events are runs, or slices for
// the timeslices method.
type WindowStatus struct {
	Name       string // 5m, 1h, ...; "slo" for the SLO window
	Duration   time.Duration
	Good       uint64
	Events     uint64
	SLI        float64
	ErrorRatio float64
	BurnRate   float64
}

// HasData reports whether the window had any events.
func (w WindowStatus) HasData() bool { return w.Events > 0 }

// AlertStatus is the state of one severity's alerts.
type AlertStatus struct {
	Severity string
	// Firing is whether a window pair's condition holds now; Lifecycle
	// is the alert's state, which waits For before firing and is what
	// is logged and notified.
	Firing bool
	Lifecycle
	For        time.Duration
	Conditions []AlertCondition
}

// AlertCondition is one window pair of a multi-window alert: it fires
// when both burn rates exceed Factor and the long window holds at least
// MinEvents events.
type AlertCondition struct {
	LongWindow, ShortWindow time.Duration
	Factor                  float64
	LongBurn, ShortBurn     float64
	LongEvents, ShortEvents uint64
	MinEvents               int
	Firing                  bool
}

// BudgetPoint is the budget remaining at a time.
type BudgetPoint struct {
	Time      time.Time
	Remaining float64
}

// maxChartPoints bounds the chart's size whatever the window.
const maxChartPoints = 240

// status computes the state at now; chart adds the burn-down.
func (st *state) status(now time.Time, chart bool) Status {
	st.mu.Lock()
	defer st.mu.Unlock()
	cfg := st.cfg
	objective, budget := cfg.objective(), st.budget
	nowMin := intdiv.Floor(now.Unix(), 60)
	s := Status{
		Name: cfg.Name, Description: cfg.Description, RunbookURL: cfg.RunbookURL,
		Objective: objective, Method: cfg.method(), Window: st.shape.sp.String(), Now: now,
		Events: st.events.Load(), GoodEvents: st.good.Load(), Dropped: st.dropped.Load(),
	}
	start, end := st.shape.sp.bounds(now)
	s.WindowStart, s.WindowEnd = start, end

	var buf [maxStackBounds]counts
	sums := st.windowCounts(now, buf[:0])
	for i, d := range st.shape.windows {
		s.Windows = append(s.Windows, windowStatus(st.shape.names[i], d, sums[i], budget))
	}
	whole := sums[len(st.shape.windows)]
	s.Whole = windowStatus("slo", end.Sub(start), whole, budget)
	s.BudgetRemaining = BudgetRemaining(s.Whole.BurnRate)

	s.Alerts = st.alertConditions(sums)
	// The current burn rate is the first page alert's long window (1h for
	// 30 days): long enough to be steady, short enough to be current.
	if i := st.burnWindow(); i >= 0 {
		s.BurnWindow = st.shape.windows[i]
		s.TimeToExhaustion, s.Exhausts = TimeToExhaustion(s.BudgetRemaining, s.Windows[i].BurnRate, end.Sub(start))
	}
	if chart && whole.total > 0 {
		s.Budget = burndown(st.units(), st.cache.whole, nowMin, whole, budget.Ratio(), now)
	}
	return s
}

// alertConditions evaluates every severity's window pairs over the
// windows' counts sums. st.mu must be held.
func (st *state) alertConditions(sums []counts) []AlertStatus {
	out := make([]AlertStatus, 0, len(severities))
	for _, sev := range severities {
		a := AlertStatus{Severity: sev, For: st.cfg.Alerting.For.of(sev)}
		a.Conditions = conditions(st.cfg, st.shape, sev, sums, nil)
		for _, c := range a.Conditions {
			a.Firing = a.Firing || c.Firing
		}
		out = append(out, a)
	}
	return out
}

// conditions appends severity sev's window pairs, evaluated over the
// windows' counts sums (the short windows of shp, in its order), to out.
func conditions(cfg *Config, shp *shape, sev string, sums []counts, out []AlertCondition) []AlertCondition {
	budget := cfg.budget()
	j := 0
	for _, p := range shp.conds {
		if p.severity != sev {
			continue
		}
		long, short := sums[p.long], sums[p.short]
		c := AlertCondition{
			LongWindow: shp.windows[p.long], ShortWindow: shp.windows[p.short], Factor: p.factor,
			LongBurn:   ErrorRatio(float64(long.good), float64(long.total)) / budget,
			ShortBurn:  ErrorRatio(float64(short.good), float64(short.total)) / budget,
			LongEvents: long.total, ShortEvents: short.total,
			MinEvents: cfg.Alerting.minEvents(shp.alerts[sev][j]),
		}
		c.Firing = Firing(c.LongBurn, c.ShortBurn, c.Factor) && c.LongEvents >= uint64(c.MinEvents)
		out = append(out, c)
		j++
	}
	return out
}

// burnWindow is the place in st.shape.windows of the window the time to
// exhaustion is computed over, or -1 without page alerts.
func (st *state) burnWindow() int {
	for _, p := range st.shape.conds {
		if p.severity == "page" {
			return p.long
		}
	}
	return -1
}

func windowStatus(name string, d time.Duration, c counts, budget Budget) WindowStatus {
	w := WindowStatus{Name: name, Duration: d, Good: c.good, Events: c.total}
	w.SLI = SLI(float64(c.good), float64(c.total))
	w.ErrorRatio = ErrorRatio(float64(c.good), float64(c.total))
	w.BurnRate = budget.BurnRate(c.good, c.total)
	return w
}

// burndown samples 1 - bad(start..t) / (budget * total) over the window:
// it starts at 1 where the window's first events are (nothing is drawn of
// the time before the SLO counted anything) and ends at the budget
// remaining now.
func burndown(units *series, from, nowMin int64, whole counts, budget float64, now time.Time) []BudgetPoint {
	allowed := budget * float64(whole.total)
	var pts []BudgetPoint
	var bad uint64
	var step, next int64
	units.each(from, nowMin, nowMin, func(m, n int64, c counts) {
		if pts == nil {
			if c.total == 0 {
				return
			}
			pts = []BudgetPoint{{Time: time.Unix(m*60, 0), Remaining: 1}}
			step = max(1, (nowMin-m+1)/maxChartPoints)
			next = m + step
		}
		bad += c.total - c.good
		if end := m + n; end >= next && end <= nowMin {
			pts = append(pts, BudgetPoint{Time: time.Unix(end*60, 0), Remaining: 1 - float64(bad)/allowed})
			next = end + step
		}
	})
	return append(pts, BudgetPoint{Time: now, Remaining: 1 - float64(bad)/allowed})
}
