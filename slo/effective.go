package slo

import (
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// effectiveConfig is a Config as it takes effect, for the agent's /config:
// the budgeting method and the alert windows with their defaults, and
// nothing that is unset.
type effectiveConfig struct {
	Name               string                     `yaml:"name"`
	Description        string                     `yaml:"description,omitempty"`
	Probes             []string                   `yaml:"probes,omitempty"`
	ProbeSelector      map[string]string          `yaml:"probe_selector,omitempty"`
	Objective          float64                    `yaml:"objective"`
	Window             effectiveWindow            `yaml:"window"`
	BudgetingMethod    string                     `yaml:"budgeting_method"`
	Timeslice          *TimesliceConfig           `yaml:"timeslice,omitempty"`
	LatencyThreshold   conf.Duration              `yaml:"latency_threshold,omitempty"`
	RunbookURL         string                     `yaml:"runbook_url,omitempty"`
	MaintenanceWindows []effectiveMaint           `yaml:"maintenance_windows,omitempty"`
	Alerting           map[string][]BurnRateAlert `yaml:"alerting,omitempty"`
}

type effectiveWindow struct {
	Rolling  conf.Duration `yaml:"rolling,omitempty"`
	Calendar string        `yaml:"calendar,omitempty"`
	TimeZone string        `yaml:"time_zone,omitempty"`
}

type effectiveMaint struct {
	Start time.Time     `yaml:"start"`
	End   time.Time     `yaml:"end"`
	Every conf.Duration `yaml:"every,omitempty"`
}

// MarshalYAML writes the SLO as it takes effect: occurrences when no
// budgeting method is set, the timeslice settings only for timeslices, and
// the alert windows in force (the SRE Workbook's, scaled to the window,
// where the config sets none).
func (c Config) MarshalYAML() (any, error) {
	out := effectiveConfig{
		Name: c.Name, Description: c.Description, Probes: c.Probes, ProbeSelector: c.ProbeSelector,
		Objective: c.Objective, Window: effectiveWindow(c.Window), BudgetingMethod: c.method(),
		LatencyThreshold: c.LatencyThreshold, RunbookURL: c.RunbookURL,
	}
	if out.Window.Calendar != "" && out.Window.TimeZone == "" {
		out.Window.TimeZone = "UTC"
	}
	if c.method() == Timeslices {
		out.Timeslice = &TimesliceConfig{Length: conf.Duration(c.sliceLength()), GoodThreshold: c.Timeslice.GoodThreshold}
	}
	for _, m := range c.MaintenanceWindows {
		out.MaintenanceWindows = append(out.MaintenanceWindows, effectiveMaint(m))
	}
	if sp, err := newSpan(c.Window); err == nil {
		out.Alerting = alertWindows(c.Alerting, sp)
	}
	return out, nil
}
