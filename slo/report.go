package slo

import (
	"math"
	"time"

	"github.com/sloagent/sloagent/internal/intdiv"
)

// BudgetSpent returns the bad events (runs, or slices) of the SLO named
// from from to to, and the error budget of its window now in the same
// unit (1 - objective times the window's events), as far as the SLO's
// history reaches; ok is false for an SLO not configured. An incident
// states its cost as bad / budget: the share of the window's budget it
// consumed.
func (e *Engine) BudgetSpent(name string, from, to time.Time) (bad, budget float64, ok bool) {
	snap := e.snap.Load()
	for _, st := range snap.slos {
		if st.name != name {
			continue
		}
		now := e.clock()
		st.mu.Lock()
		defer st.mu.Unlock()
		c := st.between(from, to, now)
		var buf [maxStackBounds]counts
		sums := st.windowCounts(now, buf[:0])
		whole := sums[len(sums)-1]
		return float64(c.total - c.good), st.cfg.budget() * float64(whole.total), true
	}
	return 0, 0, false
}

// between returns the counts from from to to (whole minutes, clipped to
// now). st.mu must be held.
func (st *state) between(from, to, now time.Time) counts {
	if to.After(now) {
		to = now
	}
	nowMin := intdiv.Floor(now.Unix(), 60)
	lo, hi := intdiv.Floor(from.Unix(), 60), intdiv.Floor(to.Unix(), 60)
	if hi < lo {
		return counts{}
	}
	return st.units().sum(lo, hi, nowMin)
}

// PeriodStatus is an SLO over a period of the past, for the weekly
// operations review.
type PeriodStatus struct {
	Name      string
	Objective float64 // a ratio
	Window    string
	TimeZone  *time.Location // the calendar window's, else UTC
	// Good and Events in the period; SLI is NaN without events.
	Good, Events uint64
	SLI          float64
	// BudgetBurned is the period's bad events as a share of the SLO
	// window's budget now; BudgetRemaining the window's share left now.
	BudgetBurned, BudgetRemaining float64
}

// Period returns every SLO over from..to, in config order. The SLOs' own
// history is kept at minutes for hours, quarter hours for days and hours
// for the window: a period's edges are exact to the slot they fall in.
func (e *Engine) Period(from, to time.Time) []PeriodStatus {
	now := e.clock()
	snap := e.snap.Load()
	out := make([]PeriodStatus, 0, len(snap.slos))
	for _, st := range snap.slos {
		st.mu.Lock()
		c := st.between(from, to, now)
		var buf [maxStackBounds]counts
		sums := st.windowCounts(now, buf[:0])
		whole := sums[len(sums)-1]
		budget := st.cfg.budget()
		p := PeriodStatus{Name: st.name, Objective: st.cfg.objective(), Window: st.shape.sp.String(), TimeZone: time.UTC,
			Good: c.good, Events: c.total, SLI: SLI(float64(c.good), float64(c.total)), BudgetBurned: math.NaN(),
			BudgetRemaining: BudgetRemaining(ErrorRatio(float64(whole.good), float64(whole.total)) / budget)}
		if st.shape.sp.loc != nil {
			p.TimeZone = st.shape.sp.loc
		}
		if whole.total > 0 {
			p.BudgetBurned = float64(c.total-c.good) / (budget * float64(whole.total))
		}
		st.mu.Unlock()
		out = append(out, p)
	}
	return out
}

// TimeZone returns the time zone of the SLO named (its calendar window's,
// else UTC), for showing times as its owners read them.
func (e *Engine) TimeZone(name string) *time.Location {
	for _, st := range e.snap.Load().slos {
		if st.name == name {
			st.mu.Lock()
			defer st.mu.Unlock()
			if st.shape.sp.loc != nil {
				return st.shape.sp.loc
			}
		}
	}
	return time.UTC
}

// FormatDuration writes d as Prometheus does (5m, 1h30m, 3d).
func FormatDuration(d time.Duration) string { return fmtDur(d) }
