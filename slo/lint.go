package slo

import (
	"fmt"
	"math"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// ProbeInfo is what the checks of Lint need to know of a configured probe.
type ProbeInfo struct {
	Name     string
	Labels   map[string]string
	Interval time.Duration
}

// Lint records, as warnings, the SLOs whose alerts cannot work as meant:
// a probe_selector that matches no probe, a burn rate the objective can
// never reach (objective 90 allows burn rates up to 10, so a factor of
// 14.4 never fires), alert windows that hold fewer than two runs of the
// SLO's probes (a window shorter than the interval is empty most of the
// time; one with a single run pages on one failure), and long windows
// that cannot hold min_events runs, so the pair never fires. cfgs must
// have passed ValidateList; r is the report of the file's top level, as
// for ValidateList. Lint has no side effects.
func Lint(r conf.Report, cfgs []Config, probes []ProbeInfo) {
	for i := range cfgs {
		cfgs[i].lint(r.Index("slos", i), probes)
	}
}

func (c *Config) lint(r conf.Report, probes []ProbeInfo) {
	var matched []ProbeInfo
	for _, p := range probes {
		if c.Matches(p.Name, p.Labels) {
			matched = append(matched, p)
		}
	}
	if len(c.ProbeSelector) > 0 {
		selected := false
		for _, p := range probes {
			if c.selects(p.Labels) {
				selected = true
				break
			}
		}
		if !selected {
			r.Errorf("probe_selector", "matches no probe")
		}
	}
	sp, err := newSpan(c.Window)
	if err != nil {
		return // reported by Validate
	}
	maxBurn := 1 / c.budget()
	// runs is how many events a window of d holds: runs of the matched
	// probes, or for timeslices the slices that have a run.
	runs := func(d time.Duration) float64 {
		var n float64
		for _, p := range matched {
			if p.Interval > 0 {
				n += float64(d) / float64(p.Interval)
			}
		}
		if c.method() == Timeslices {
			n = min(n, float64(d)/float64(c.sliceLength()))
		}
		return n
	}
	alerts := alertWindows(c.Alerting, sp)
	for _, sev := range severities {
		set := c.Alerting.Page
		if sev == "ticket" {
			set = c.Alerting.Ticket
		}
		for j, a := range alerts[sev] {
			// Problems of a pair the config lists are on it; those of
			// the default pairs on the objective or window they
			// follow from.
			at, winField, objField := r.At("window"), "", "objective"
			if len(set) > 0 {
				at = r.At("alerting").Index(sev, j)
				objField = "burn_rate"
			}
			pair := fmt.Sprintf("%s alert %s/%s at burn rate %s", sev, a.LongWindow, a.ShortWindow, num(a.BurnRate))
			if a.BurnRate >= maxBurn {
				field := objField
				base := r
				if len(set) > 0 {
					base = at
				}
				base.Errorf(field, "%s can never fire: objective %s%% allows burn rates up to %s", pair, num(c.Objective), num(maxBurn))
			}
			if len(matched) == 0 {
				continue
			}
			for _, w := range []struct {
				field string
				d     time.Duration
			}{{"long_window", a.LongWindow.D()}, {"short_window", a.ShortWindow.D()}} {
				if len(set) > 0 {
					winField = w.field
				}
				if n := runs(w.d); n < 2 {
					at.Errorf(winField, "%s: its %s window holds %s (%s): %s",
						pair, conf.Duration(w.d), c.eventsText(n), c.intervals(matched), fewRuns(n))
				}
			}
			if min := c.Alerting.minEvents(a); min > 0 && runs(a.LongWindow.D()) < float64(min) {
				if len(set) > 0 {
					winField = "long_window"
				}
				at.Errorf(winField, "%s can never fire: its %s long window holds %s, fewer than min_events %d",
					pair, a.LongWindow, c.eventsText(runs(a.LongWindow.D())), min)
			}
		}
	}
}

// selects reports whether labels carry every pair of the probe selector.
func (c *Config) selects(labels map[string]string) bool {
	for k, v := range c.ProbeSelector {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// eventsText writes n events: runs of the SLO's probes, or timeslices.
func (c *Config) eventsText(n float64) string {
	unit := "run"
	if c.method() == Timeslices {
		unit = "timeslice"
	}
	if n == 1 {
		return "1 " + unit
	}
	s := "about " + num(math.Round(n*10)/10) + " " + unit + "s"
	if unit == "run" {
		s += " of the SLO's probes"
	}
	return s
}

func fewRuns(n float64) string {
	if n < 1 {
		return "most of the time it holds none and cannot fire"
	}
	return "a single failure decides it"
}

// intervals says what the events come from, for a message.
func (c *Config) intervals(ps []ProbeInfo) string {
	if c.method() == Timeslices {
		return "timeslices of " + conf.Duration(c.sliceLength()).String()
	}
	if len(ps) == 1 {
		return "probe " + ps[0].Name + " every " + conf.Duration(ps[0].Interval).String()
	}
	return fmt.Sprintf("%d probes", len(ps))
}
