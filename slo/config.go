package slo

import (
	"math"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// Config is one entry of the top-level slos: list. The omitempty keys
// are left out of the agent's /config when unset (see MarshalYAML).
type Config struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	// Probes names the probes whose runs count. ProbeSelector adds every
	// probe whose labels carry all of its pairs; a run counts when its
	// probe matches either.
	Probes        []string          `yaml:"probes,omitempty"`
	ProbeSelector map[string]string `yaml:"probe_selector,omitempty"`
	// Objective is the target percentage of good runs (or good slices),
	// for example 99.9.
	Objective       float64         `yaml:"objective"`
	Window          WindowConfig    `yaml:"window"`
	BudgetingMethod string          `yaml:"budgeting_method"`
	Timeslice       TimesliceConfig `yaml:"timeslice,omitempty"`
	// LatencyThreshold, when set, makes a successful run that took longer
	// than it a bad one.
	LatencyThreshold   conf.Duration       `yaml:"latency_threshold,omitempty"`
	RunbookURL         string              `yaml:"runbook_url,omitempty"`
	MaintenanceWindows []MaintenanceWindow `yaml:"maintenance_windows,omitempty"`
	Alerting           AlertingConfig      `yaml:"alerting"`
	// Labels go on the SLO's alerts (in the agent, in notifications and
	// in the generated rules), for routing them: team: payments.
	Labels map[string]string `yaml:"labels,omitempty"`
}

// WindowConfig is either a rolling window (Rolling) or a calendar period
// (Calendar: month or week, in TimeZone).
type WindowConfig struct {
	Rolling  conf.Duration `yaml:"rolling,omitempty"`
	Calendar string        `yaml:"calendar,omitempty"`
	TimeZone string        `yaml:"time_zone,omitempty"`
}

// TimesliceConfig configures the timeslices budgeting method: a slice is
// good when the share of good runs in it is at least GoodThreshold.
type TimesliceConfig struct {
	Length        conf.Duration `yaml:"length"`
	GoodThreshold float64       `yaml:"good_threshold"`
}

// MaintenanceWindow is a period whose runs are not counted. With Every set
// it repeats: Start+k*Every to End+k*Every for every k >= 0.
type MaintenanceWindow struct {
	Start time.Time     `yaml:"start"`
	End   time.Time     `yaml:"end"`
	Every conf.Duration `yaml:"every,omitempty"`
}

// AlertingConfig overrides the multi-window multi-burn-rate alerts. A list
// that is set replaces the default list of its severity as a whole.
type AlertingConfig struct {
	Page   []BurnRateAlert `yaml:"page,omitempty"`
	Ticket []BurnRateAlert `yaml:"ticket,omitempty"`
	// For is how long a severity's condition must hold before its alert
	// fires (pending until then), as a Prometheus rule's for: does.
	For SeverityDurations `yaml:"for,omitempty"`
	// MinEvents is the fewest events (runs, or timeslices) the long
	// window of a window pair must hold for the pair to fire; its short
	// window needs one. Unset: DefaultMinEvents; 0 turns it off. A pair
	// may set its own.
	MinEvents *int `yaml:"min_events"`
}

// SeverityDurations is a duration per severity.
type SeverityDurations struct {
	Page   conf.Duration `yaml:"page,omitempty"`
	Ticket conf.Duration `yaml:"ticket,omitempty"`
}

// of returns the duration of severity sev.
func (d SeverityDurations) of(sev string) time.Duration {
	if sev == "ticket" {
		return d.Ticket.D()
	}
	return d.Page.D()
}

// DefaultMinEvents keeps an alert quiet until its long window holds a few
// runs: a new SLO's first failure in a handful of runs is a burn rate in
// the hundreds, yet says little. Ten runs are five minutes of a probe
// every 30s, and the long page window of a 30-day SLO (1h) holds 120.
const DefaultMinEvents = 10

// BurnRateAlert fires when the burn rate over both windows exceeds BurnRate.
type BurnRateAlert struct {
	LongWindow  conf.Duration `yaml:"long_window"`
	ShortWindow conf.Duration `yaml:"short_window"`
	BurnRate    float64       `yaml:"burn_rate"`
	// MinEvents overrides alerting.min_events for this pair.
	MinEvents *int `yaml:"min_events,omitempty"`
}

// minEvents is the fewest events the long window of a must hold.
func (c *AlertingConfig) minEvents(a BurnRateAlert) int {
	switch {
	case a.MinEvents != nil:
		return *a.MinEvents
	case c.MinEvents != nil:
		return *c.MinEvents
	}
	return DefaultMinEvents
}

// Budgeting methods.
const (
	Occurrences = "occurrences"
	Timeslices  = "timeslices"
)

// Calendar periods.
const (
	Month = "month"
	Week  = "week"
)

// Matches reports whether a run of the named probe with labels counts
// towards the SLO.
func (c *Config) Matches(probe string, labels map[string]string) bool {
	for _, p := range c.Probes {
		if p == probe {
			return true
		}
	}
	if len(c.ProbeSelector) == 0 {
		return false
	}
	for k, v := range c.ProbeSelector {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// method returns the budgeting method with the default applied.
func (c *Config) method() string {
	if c.BudgetingMethod == "" {
		return Occurrences
	}
	return c.BudgetingMethod
}

func (c *Config) sliceLength() time.Duration {
	if c.Timeslice.Length == 0 {
		return time.Minute
	}
	return c.Timeslice.Length.D()
}

// budget is the allowed share of bad runs (or slices): 1 - objective,
// rounded so that 99.9 gives 0.001 and not 0.000999999999999943.
func (c *Config) budget() float64 { return NewBudget(c.Objective).Ratio() }

// objective is the objective as a ratio, rounded the same way.
func (c *Config) objective() float64 { return math.Round(c.Objective*1e9) / 1e11 }

// inMaintenance reports whether runs at t are not counted.
func (c *Config) inMaintenance(t time.Time) bool {
	for i := range c.MaintenanceWindows {
		m := &c.MaintenanceWindows[i]
		if t.Before(m.Start) {
			continue
		}
		d := t.Sub(m.Start)
		if m.Every > 0 {
			d %= m.Every.D()
		}
		if d < m.End.Sub(m.Start) {
			return true
		}
	}
	return false
}
