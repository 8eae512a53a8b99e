package incident

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sloagent/sloagent/slo"
)

// Period is what the report of a period (the weekly operations review)
// is made of.
type Period struct {
	From, To        time.Time
	Agent, Location string
	SLOs            []slo.PeriodStatus
	Incidents       []*Incident
	Days            []DayStats
}

// FlapSpells is how many times a probe must start failing in a period to
// be listed as flapping.
const FlapSpells = 3

// ProbePeriod is a probe's runs over a period.
type ProbePeriod struct {
	Probe          string
	Runs, Failures int
	Spells         int
	Reasons        map[string]int
}

// Probes sums the daily counts per probe, by probe name.
func (p *Period) Probes() []ProbePeriod {
	by := map[string]*ProbePeriod{}
	for _, d := range p.Days {
		pp := by[d.Probe]
		if pp == nil {
			pp = &ProbePeriod{Probe: d.Probe, Reasons: map[string]int{}}
			by[d.Probe] = pp
		}
		pp.Runs += d.Runs
		pp.Failures += d.Failures
		pp.Spells += d.Spells
		for r, n := range d.Reasons {
			pp.Reasons[r] += n
		}
	}
	out := make([]ProbePeriod, 0, len(by))
	for _, pp := range by {
		out = append(out, *pp)
	}
	slices.SortFunc(out, func(a, b ProbePeriod) int { return strings.Compare(a.Probe, b.Probe) })
	return out
}

// Report writes the period's report in Markdown: per SLO the attainment,
// the budget burned in the period and what remains; the incidents with
// their durations; the top failure reasons per probe; the probes that
// flap.
func Report(w io.Writer, p Period, now time.Time) error {
	b := &mdWriter{}
	b.f("# Operations report: %s to %s\n\n", utc(p.From), utc(p.To))
	b.f("_Agent %s", p.Agent)
	if p.Location != "" {
		b.f(" in %s", p.Location)
	}
	b.f(", written by sloagent at %s._\n\n", utc(now))

	b.section("SLOs")
	table(b, p.SLOs, "No SLOs are configured.",
		[]string{"SLO", "objective", "attained in the period", "events", "budget burned in the period", "budget remaining", "window"},
		func(s slo.PeriodStatus) {
			met := ""
			if !math.IsNaN(s.SLI) && s.SLI < s.Objective {
				met = " (below objective)"
			}
			b.f("| %s | %s | %s%s | %d | %s | %s | %s |\n", s.Name, ratio(s.Objective), ratio(s.SLI), met, s.Events,
				pctOrNone(s.BudgetBurned), pctOrNone(s.BudgetRemaining), s.Window)
		})

	b.section("Incidents")
	table(b, p.Incidents, "No incidents.",
		[]string{"incident", "started", "duration", "time to detect", "failed runs", "SLOs (budget consumed)", "state"},
		func(inc *Incident) {
			var slos []string
			for _, s := range inc.SLOs {
				slos = append(slos, s.Name+" ("+pctOrNone(s.BudgetShare())+")")
			}
			state := "closed"
			if inc.Open() {
				state = "open"
			}
			b.f("| %s: %s | %s | %s | %s | %d | %s | %s |\n", inc.ID, cell(inc.Title), utc(inc.Started), dur(inc.Duration(now)),
				dur(inc.TimeToDetect()), inc.FailedRuns, strings.Join(slos, ", "), state)
		})

	probes := p.Probes()
	b.section("Failure reasons by probe")
	failing := filter(probes, func(pp ProbePeriod) bool { return pp.Failures > 0 })
	table(b, failing, "No probe failed.", []string{"probe", "runs", "failed", "top reasons"}, func(pp ProbePeriod) {
		b.f("| %s | %d | %d (%s) | %s |\n", pp.Probe, pp.Runs, pp.Failures, pct(float64(pp.Failures)/float64(pp.Runs)), topReasons(pp.Reasons, 3))
	})

	b.section("Flapping probes")
	flapping := filter(probes, func(pp ProbePeriod) bool { return pp.Spells >= FlapSpells })
	slices.SortStableFunc(flapping, func(a, b ProbePeriod) int { return b.Spells - a.Spells })
	table(b, flapping, fmt.Sprintf("No probe started failing %d times or more.", FlapSpells),
		[]string{"probe", "times it started failing", "failed runs"}, func(pp ProbePeriod) {
			b.f("| %s | %d | %d of %d |\n", pp.Probe, pp.Spells, pp.Failures, pp.Runs)
		})
	_, err := io.WriteString(w, b.String())
	return err
}

func ratio(v float64) string {
	if math.IsNaN(v) {
		return "no data"
	}
	return fmt.Sprintf("%.3f%%", v*100)
}

func pctOrNone(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return pct(v)
}

func topReasons(m map[string]int, k int) string {
	s := reasonsText(m)
	parts := strings.Split(s, ", ")
	if len(parts) > k {
		parts = parts[:k]
	}
	return strings.Join(parts, ", ")
}
