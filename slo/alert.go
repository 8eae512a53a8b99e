package slo

import (
	"fmt"
	"time"
)

// AlertState is where an alert is in its lifecycle, as in Prometheus:
// inactive, pending (the condition holds, not yet for its for:), firing,
// and resolved (it fired and the condition no longer holds).
type AlertState uint8

// Alert states.
const (
	AlertInactive AlertState = iota
	AlertPending
	AlertFiring
	AlertResolved
)

var stateNames = [...]string{"inactive", "pending", "firing", "resolved"}

func (s AlertState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", s)
}

// MarshalText writes the state's name, for JSON.
func (s AlertState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name.
func (s *AlertState) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = AlertState(i)
			return nil
		}
	}
	return fmt.Errorf("unknown alert state %q", b)
}

// AlertStates lists every state, for metrics that have one series per state.
func AlertStates() []AlertState {
	return []AlertState{AlertInactive, AlertPending, AlertFiring, AlertResolved}
}

// ResolvedRetention is how long a resolved alert is shown (and, by a
// notifier, sent again) as resolved before it is inactive, as long as
// Prometheus keeps resolved alerts.
const ResolvedRetention = 15 * time.Minute

// Lifecycle is one alert's state and the times it changed.
type Lifecycle struct {
	State AlertState `json:"state"`
	// ActiveSince is when the condition started to hold (the alert went
	// pending, or firing at once); zero when inactive.
	ActiveSince time.Time `json:"active_since,omitzero"`
	// FiringSince is when the alert fired; kept once resolved.
	FiringSince time.Time `json:"firing_since,omitzero"`
	ResolvedAt  time.Time `json:"resolved_at,omitzero"`
	LastChange  time.Time `json:"last_change,omitzero"`
}

// Step moves the lifecycle to now, given whether the condition holds and
// how long it must hold before the alert fires. It returns the state
// before and whether it changed. With hold 0 an alert fires at once; a
// pending alert whose condition stops holding goes back to inactive, a
// firing one is resolved, and a resolved one is inactive after
// ResolvedRetention or pending again when the condition returns.
func (l *Lifecycle) Step(active bool, now time.Time, hold time.Duration) (from AlertState, changed bool) {
	from = l.State
	switch {
	case active && (l.State == AlertInactive || l.State == AlertResolved):
		l.State, l.ActiveSince, l.ResolvedAt = AlertPending, now, time.Time{}
		if hold <= 0 {
			l.State, l.FiringSince = AlertFiring, now
		}
	case active && l.State == AlertPending:
		if !now.Before(l.ActiveSince.Add(hold)) {
			l.State, l.FiringSince = AlertFiring, now
		}
	case !active && l.State == AlertPending:
		l.State, l.ActiveSince = AlertInactive, time.Time{}
	case !active && l.State == AlertFiring:
		l.State, l.ResolvedAt, l.ActiveSince = AlertResolved, now, time.Time{}
	case !active && l.State == AlertResolved && !now.Before(l.ResolvedAt.Add(ResolvedRetention)):
		l.State = AlertInactive
	}
	if l.State != from {
		l.LastChange = now
		return from, true
	}
	return from, false
}

// Alert is one alert of an SLO's severity (or of a probe) with its
// lifecycle and what the last evaluation saw.
type Alert struct {
	// Name is the alertname: SLOErrorBudgetBurn for an SLO's alerts (as
	// in the generated rules), ProbeFailing for a probe's own.
	Name     string
	SLO      string // empty for a probe's alert
	Probe    string // empty for an SLO's alert
	Severity string
	Lifecycle
	// Conditions are the window pairs with the burn rates of the last
	// evaluation (an SLO's alerts).
	Conditions []AlertCondition
	// Failures is the probe's consecutive failed runs (a probe's alert).
	Failures int
	// Reasons are the top failure reasons of the runs in the alert's
	// longest window, most frequent first.
	Reasons []ReasonCount
	// Window is the longest window the alert looks at.
	Window time.Duration

	Summary, Description string
	RunbookURL           string
	Labels               map[string]string // the SLO's (or probe's) own labels
}

// Transition is an alert that changed state at an evaluation.
type Transition struct {
	Alert
	From AlertState
}
