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

	b.s("## SLOs\n\n")
	if len(p.SLOs) == 0 {
		b.s("No SLOs are configured.\n")
	} else {
		b.s("| SLO | objective | attained in the period | events | budget burned in the period | budget remaining | window |\n|---|---|---|---|---|---|---|\n")
		for _, s := range p.SLOs {
			met := ""
			if !math.IsNaN(s.SLI) && s.SLI < s.Objective {
				met = " (below objective)"
			}
			b.f("| %s | %s | %s%s | %d | %s | %s | %s |\n", s.Name, ratio(s.Objective), ratio(s.SLI), met, s.Events,
				pctOrNone(s.BudgetBurned), pctOrNone(s.BudgetRemaining), s.Window)
		}
	}

	b.s("\n## Incidents\n\n")
	if len(p.Incidents) == 0 {
		b.s("No incidents.\n")
	} else {
		b.s("| incident | started | duration | time to detect | failed runs | SLOs (budget consumed) | state |\n|---|---|---|---|---|---|---|\n")
		for _, inc := range p.Incidents {
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
		}
	}

	probes := p.Probes()
	b.s("\n## Failure reasons by probe\n\n")
	failing := 0
	for _, pp := range probes {
		if pp.Failures > 0 {
			failing++
		}
	}
	if failing == 0 {
		b.s("No probe failed.\n")
	} else {
		b.s("| probe | runs | failed | top reasons |\n|---|---|---|---|\n")
		for _, pp := range probes {
			if pp.Failures == 0 {
				continue
			}
			b.f("| %s | %d | %d (%s) | %s |\n", pp.Probe, pp.Runs, pp.Failures, pct(float64(pp.Failures)/float64(pp.Runs)), topReasons(pp.Reasons, 3))
		}
	}

	b.s("\n## Flapping probes\n\n")
	var flapping []ProbePeriod
	for _, pp := range probes {
		if pp.Spells >= FlapSpells {
			flapping = append(flapping, pp)
		}
	}
	slices.SortStableFunc(flapping, func(a, b ProbePeriod) int { return b.Spells - a.Spells })
	if len(flapping) == 0 {
		b.f("No probe started failing %d times or more.\n", FlapSpells)
	} else {
		b.s("| probe | times it started failing | failed runs |\n|---|---|---|\n")
		for _, pp := range flapping {
			b.f("| %s | %d | %d of %d |\n", pp.Probe, pp.Spells, pp.Failures, pp.Runs)
		}
	}
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
