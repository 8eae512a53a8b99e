package slo

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/prometheus/common/model"

	"github.com/sloagent/sloagent/internal/conf"
)

// defaultWindow is the SLO window when none is configured, and the window
// the SRE Workbook's alert windows and burn rates are given for.
const defaultWindow = 30 * 24 * time.Hour

// reportWindows are the windows exported for every SLO besides its alert
// windows and the whole SLO window.
var reportWindows = []time.Duration{
	5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour,
	24 * time.Hour, 3 * 24 * time.Hour,
}

// workbookAlerts are the SRE Workbook's multi-window multi-burn-rate alerts
// for a 30-day window.
var workbookAlerts = map[string][]BurnRateAlert{
	"page": {
		{LongWindow: dur(time.Hour), ShortWindow: dur(5 * time.Minute), BurnRate: 14.4},
		{LongWindow: dur(6 * time.Hour), ShortWindow: dur(30 * time.Minute), BurnRate: 6},
	},
	"ticket": {
		{LongWindow: dur(24 * time.Hour), ShortWindow: dur(2 * time.Hour), BurnRate: 3},
		{LongWindow: dur(3 * 24 * time.Hour), ShortWindow: dur(6 * time.Hour), BurnRate: 1},
	},
}

// Severities in the order they are reported.
var severities = []string{"page", "ticket"}

// span is the SLO window: a rolling duration or a calendar period in a
// time zone.
type span struct {
	rolling  time.Duration
	calendar string
	loc      *time.Location
}

func newSpan(w WindowConfig) (span, error) {
	if w.Calendar == "" {
		d := w.Rolling.D()
		if d == 0 {
			d = defaultWindow
		}
		return span{rolling: d}, nil
	}
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		return span{}, fmt.Errorf("time zone %q: %w", w.TimeZone, err)
	}
	return span{calendar: w.Calendar, loc: loc}, nil
}

// bounds returns the window that contains now: for a rolling window
// [now-rolling, now], for a calendar one the whole period.
func (s span) bounds(now time.Time) (start, end time.Time) {
	if s.calendar == "" {
		return now.Add(-s.rolling), now
	}
	t := now.In(s.loc)
	if s.calendar == Month {
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, s.loc)
		return start, start.AddDate(0, 1, 0)
	}
	back := (int(t.Weekday()) + 6) % 7 // ISO weeks start on Monday
	start = time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, s.loc)
	return start, start.AddDate(0, 0, 7)
}

// nominal is the length the alert windows are scaled by.
func (s span) nominal() time.Duration {
	switch s.calendar {
	case Month:
		return defaultWindow
	case Week:
		return 7 * 24 * time.Hour
	}
	return s.rolling
}

// longest is the most history the window ever needs.
func (s span) longest() time.Duration {
	switch s.calendar {
	case Month:
		return 31*24*time.Hour + time.Hour // a DST change can add an hour
	case Week:
		return 7*24*time.Hour + time.Hour
	}
	return s.rolling
}

func (s span) String() string {
	if s.calendar == "" {
		return "rolling " + fmtDur(s.rolling)
	}
	return "calendar " + s.calendar + " (" + s.loc.String() + ")"
}

// alertWindows returns the alerts of cfg per severity: the configured ones,
// or the Workbook's scaled to the SLO window and rounded to whole minutes.
func alertWindows(cfg AlertingConfig, sp span) map[string][]BurnRateAlert {
	scale := float64(sp.nominal()) / float64(defaultWindow)
	out := map[string][]BurnRateAlert{}
	for _, sev := range severities {
		set := cfg.Page
		if sev == "ticket" {
			set = cfg.Ticket
		}
		if len(set) > 0 {
			out[sev] = set
			continue
		}
		for _, a := range workbookAlerts[sev] {
			long, short := scaleWindow(a.LongWindow.D(), scale), scaleWindow(a.ShortWindow.D(), scale)
			if short >= long {
				long = short + time.Minute
			}
			out[sev] = append(out[sev], BurnRateAlert{LongWindow: dur(long), ShortWindow: dur(short), BurnRate: a.BurnRate})
		}
	}
	return out
}

func scaleWindow(d time.Duration, scale float64) time.Duration {
	m := math.Round(float64(d) * scale / float64(time.Minute))
	if m < 1 {
		m = 1
	}
	return time.Duration(m) * time.Minute
}

// shortWindows lists the windows reported besides the SLO window: the
// standard ones that fit in the SLO window and every alert window, sorted.
func shortWindows(alerts map[string][]BurnRateAlert, sp span) []time.Duration {
	seen := map[time.Duration]bool{}
	var out []time.Duration
	add := func(d time.Duration) {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, d := range reportWindows {
		if d <= sp.nominal() {
			add(d)
		}
	}
	for _, sev := range severities {
		for _, a := range alerts[sev] {
			add(a.LongWindow.D())
			add(a.ShortWindow.D())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// fmtDur writes d as Prometheus does (5m, 1h, 3d), for labels and rule names.
func fmtDur(d time.Duration) string { return model.Duration(d).String() }

func dur(d time.Duration) conf.Duration { return conf.Duration(d) }
