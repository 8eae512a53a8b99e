package slo

import (
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// Limits that keep memory per SLO bounded.
const (
	maxWindow      = 366 * 24 * time.Hour
	minWindow      = 24 * time.Hour
	maxAlertWindow = 31 * 24 * time.Hour
)

// Names appear in label values, PromQL selectors and rule group names, so
// they are kept to characters that need no escaping anywhere.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Validate records every problem of the entry, with fields relative to it.
func (c *Config) Validate(r conf.Report) {
	switch {
	case c.Name == "":
		r.Errorf("name", "missing")
	case !nameRE.MatchString(c.Name) || len(c.Name) > 128:
		r.Errorf("name", "invalid name %q: use letters, digits, '_', '.' and '-', starting with a letter or digit", c.Name)
	}
	if len(c.Probes) == 0 && len(c.ProbeSelector) == 0 {
		r.Errorf("", "set probes or probe_selector: no probe's runs would count")
	}
	seen := map[string]bool{}
	for i, p := range c.Probes {
		switch {
		case p == "":
			r.Index("probes", i).Errorf("", "empty probe name")
		case seen[p]:
			r.Index("probes", i).Errorf("", "probe %q listed twice", p)
		}
		seen[p] = true
	}
	for _, k := range slices.Sorted(maps.Keys(c.ProbeSelector)) {
		if k == "" {
			r.Errorf("probe_selector", "empty label name")
		}
	}
	switch {
	case c.Objective <= 0 || c.Objective >= 100 || math.IsNaN(c.Objective):
		r.Errorf("objective", "must be a percentage above 0 and below 100, such as 99.9 (got %g)", c.Objective)
	case c.budget() == 0:
		// Every burn rate would be +Inf and every alert fire.
		r.Errorf("objective", "leaves no error budget (100 - %g rounds to 0): use at most 99.999999999", c.Objective)
	}
	c.Window.validate(r.At("window"))
	switch c.BudgetingMethod {
	case "", Occurrences:
		if c.Timeslice != (TimesliceConfig{}) {
			r.Errorf("timeslice", "only used with budgeting_method: timeslices")
		}
	case Timeslices:
		c.Timeslice.validate(r.At("timeslice"))
	default:
		r.Errorf("budgeting_method", "unknown method %q (use occurrences or timeslices)", c.BudgetingMethod)
	}
	if c.LatencyThreshold < 0 {
		r.Errorf("latency_threshold", "must not be negative")
	}
	validateRunbookURL(r, c.RunbookURL)
	for i, m := range c.MaintenanceWindows {
		m.validate(r.Index("maintenance_windows", i))
	}
	c.Alerting.validate(r.At("alerting"), c.windowLength())
	validateAlertLabels(r.At("labels"), c.Labels)
}

// alertLabels are the labels the agent puts on alerts itself.
var alertLabels = map[string]bool{"alertname": true, "slo": true, "severity": true, "agent": true,
	"location": true, "probe": true, "job": true, "instance": true, "window": true}

// ValidateList checks every entry of the slos: list and that names are
// unique. r is the report of the file's top level: problems land under
// slos[i].
func ValidateList(r conf.Report, cfgs []Config) {
	first := map[string]int{}
	for i := range cfgs {
		ri := r.Index("slos", i)
		cfgs[i].Validate(ri)
		if n := cfgs[i].Name; n != "" {
			if j, ok := first[n]; ok {
				ri.Errorf("name", "duplicate SLO name %q (first used by slos[%d])", n, j)
			} else {
				first[n] = i
			}
		}
	}
}

func (w *WindowConfig) validate(r conf.Report) {
	switch {
	case w.Rolling != 0 && w.Calendar != "":
		r.Errorf("", "set either rolling or calendar, not both")
	case w.Calendar != "":
		if w.Calendar != Month && w.Calendar != Week {
			r.Errorf("calendar", "unknown calendar period %q (use month or week)", w.Calendar)
		}
		if _, err := time.LoadLocation(w.TimeZone); err != nil {
			r.Errorf("time_zone", "unknown time zone %q", w.TimeZone)
		}
	default:
		if w.TimeZone != "" {
			r.Errorf("time_zone", "only used with a calendar window")
		}
		d := w.Rolling.D()
		switch {
		case w.Rolling == 0:
			// Defaults to 30d.
		case d < minWindow || d > maxWindow:
			r.Errorf("rolling", "must be between %s and %s (got %s)", conf.Duration(minWindow), conf.Duration(maxWindow), w.Rolling)
		case d%time.Minute != 0:
			r.Errorf("rolling", "must be a whole number of minutes (got %s)", w.Rolling)
		}
	}
}

func (t *TimesliceConfig) validate(r conf.Report) {
	l := t.Length.D()
	switch {
	case l == 0:
		// Defaults to 1m.
	case l < time.Minute || l%time.Minute != 0 || time.Hour%l != 0:
		r.Errorf("length", "must be a whole number of minutes that divides an hour, such as 1m, 5m or 15m (got %s)", t.Length)
	}
	if t.GoodThreshold <= 0 || t.GoodThreshold > 1 || math.IsNaN(t.GoodThreshold) {
		r.Errorf("good_threshold", "must be a ratio above 0 and at most 1, such as 0.95 (got %g)", t.GoodThreshold)
	}
}

func (m *MaintenanceWindow) validate(r conf.Report) {
	if m.Start.IsZero() {
		r.Errorf("start", "missing (an RFC 3339 time such as 2026-01-31T22:00:00Z)")
	}
	if m.End.IsZero() {
		r.Errorf("end", "missing (an RFC 3339 time such as 2026-01-31T23:00:00Z)")
	}
	if !m.Start.IsZero() && !m.End.IsZero() && !m.End.After(m.Start) {
		r.Errorf("end", "must be after start")
	}
	if m.Every < 0 {
		r.Errorf("every", "must not be negative")
	} else if m.Every != 0 && m.End.Sub(m.Start) >= m.Every.D() {
		r.Errorf("every", "must be longer than the window itself (%s)", m.End.Sub(m.Start))
	}
}

func (a *AlertingConfig) validate(r conf.Report, window time.Duration) {
	for _, l := range []struct {
		name   string
		alerts []BurnRateAlert
	}{{"page", a.Page}, {"ticket", a.Ticket}} {
		for i, b := range l.alerts {
			ri := r.Index(l.name, i)
			long, short := b.LongWindow.D(), b.ShortWindow.D()
			if long <= 0 || long%time.Minute != 0 || long > maxAlertWindow || long > window {
				ri.Errorf("long_window", "must be whole minutes, at most %s and at most the SLO window (got %s)", conf.Duration(maxAlertWindow), b.LongWindow)
			}
			if short <= 0 || short%time.Minute != 0 || short >= long {
				ri.Errorf("short_window", "must be whole minutes and shorter than long_window (got %s)", b.ShortWindow)
			}
			if b.BurnRate <= 0 || math.IsNaN(b.BurnRate) || math.IsInf(b.BurnRate, 0) {
				ri.Errorf("burn_rate", "must be above 0 (got %g)", b.BurnRate)
			}
			if b.MinEvents != nil && *b.MinEvents < 0 {
				ri.Errorf("min_events", "must not be negative (got %d)", *b.MinEvents)
			}
		}
	}
	for _, sev := range severities {
		if d := a.For.of(sev); d < 0 || d > maxAlertWindow {
			r.At("for").Errorf(sev, "must be between 0 and %s (got %s)", conf.Duration(maxAlertWindow), conf.Duration(d))
		}
	}
	if a.MinEvents != nil && *a.MinEvents < 0 {
		r.Errorf("min_events", "must not be negative (got %d)", *a.MinEvents)
	}
}

// windowLength is the shortest the SLO window can be, for checking that
// alert windows fit in it.
func (c *Config) windowLength() time.Duration {
	switch c.Window.Calendar {
	case Month:
		return 28 * 24 * time.Hour
	case Week:
		return 7 * 24 * time.Hour
	}
	if c.Window.Rolling == 0 {
		return defaultWindow
	}
	return c.Window.Rolling.D()
}

// validateAlertLabels checks labels an alert carries besides the agent's
// own: valid names, none the agent sets itself.
func validateAlertLabels(r conf.Report, labels map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		switch {
		case !conf.ValidLabelName(k):
			r.Errorf(k, "invalid label name %q", k)
		case alertLabels[k]:
			r.Errorf(k, "label %q is set by the agent on every alert", k)
		}
	}
}

// validateRunbookURL checks an SLO's or a probe alert's runbook_url: an
// absolute http or https link, which alerts, notifications, incident
// pages and reviews carry to whoever is paged.
func validateRunbookURL(r conf.Report, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		r.Errorf("runbook_url", "not an absolute URL: %q", s)
	case u.Scheme != "http" && u.Scheme != "https":
		r.Errorf("runbook_url", "%q is not an http:// or https:// link", s)
	}
}
