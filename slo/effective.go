package slo

import "github.com/sloagent/sloagent/internal/conf"

// effectiveConfig is a Config without its MarshalYAML, for the agent's
// /config: the keys are Config's own, so none can be left out.
type effectiveConfig Config

// MarshalYAML writes the SLO as it takes effect: occurrences when no
// budgeting method is set, the timeslice settings only for timeslices, and
// the alert windows in force (the SRE Workbook's, scaled to the window,
// where the config sets none).
func (c Config) MarshalYAML() (any, error) {
	out := effectiveConfig(c)
	out.BudgetingMethod = c.method()
	if out.Window.Calendar != "" && out.Window.TimeZone == "" {
		out.Window.TimeZone = "UTC"
	}
	out.Timeslice = TimesliceConfig{}
	if c.method() == Timeslices {
		out.Timeslice = TimesliceConfig{Length: conf.Duration(c.sliceLength()), GoodThreshold: c.Timeslice.GoodThreshold}
	}
	out.Alerting.Page, out.Alerting.Ticket = nil, nil
	if sp, err := newSpan(c.Window); err == nil {
		w := alertWindows(c.Alerting, sp)
		out.Alerting.Page, out.Alerting.Ticket = w["page"], w["ticket"]
	}
	minEvents := c.Alerting.minEvents(BurnRateAlert{})
	out.Alerting.MinEvents = &minEvents
	return out, nil
}
