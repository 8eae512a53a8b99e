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

// Review writes the draft of an incident's live-site review in Markdown:
// summary, impact with figures, detection, the timeline in UTC and in
// each SLO's time zone, what the probes saw (reasons, phases, messages,
// diagnostics), the runbooks, and empty sections for the root cause and
// the follow-ups. now is the time of an open incident's figures; base is
// the agent's URL for links to diagnostics ("" for relative links).
func Review(w io.Writer, inc *Incident, now time.Time, base string) error {
	b := &mdWriter{}
	state := "closed " + utc(inc.Closed)
	if inc.Open() {
		state = "open (figures as of " + utc(now) + ")"
	}
	b.f("# Incident %s: %s\n\n", inc.ID, inc.Title)
	b.f("_Draft of the live-site review, written by sloagent. Incident %s._\n\n", state)

	b.section("Summary")
	b.f("%s\n", summaryText(inc, now))

	b.section("Impact")
	b.s("| | |\n|---|---|\n")
	b.f("| Duration | %s (%s to %s) |\n", dur(inc.Duration(now)), utc(inc.Started), endText(inc))
	b.f("| Failed runs | %d of %d runs of the affected probes |\n", inc.FailedRuns, inc.Runs)
	for _, s := range inc.SLOs {
		b.f("| Error budget of SLO %s | %s |\n", s.Name, budgetText(s))
	}
	b.f("| Probes | %s |\n", strings.Join(probeNames(inc), ", "))
	b.f("| Agents | %s |\n", strings.Join(inc.Agents, ", "))
	if len(inc.Locations) > 0 {
		b.f("| Locations | %s |\n", strings.Join(inc.Locations, ", "))
	}
	b.section("Detection")
	b.f("- First failed run: %s\n", utc(inc.Started))
	if inc.Detected.IsZero() {
		b.f("- No page alert fired; the incident opened at %s (%s).\n", utc(inc.Opened), triggerText(inc))
	} else {
		b.f("- Page: %s\n", utc(inc.Detected))
	}
	b.f("- Time to detect: %s\n", dur(inc.TimeToDetect()))
	if ttr := inc.TimeToRecover(); ttr > 0 {
		b.f("- Time to recover: %s\n", dur(ttr))
	} else {
		b.s("- Time to recover: not recovered yet\n")
	}
	for _, a := range inc.Alerts {
		res := "not resolved"
		if !a.Resolved.IsZero() {
			res = "resolved " + utc(a.Resolved)
		}
		b.f("- %s alert of %s: fired %s, %s\n", a.Severity, alertSubject(a), utc(a.Fired), res)
	}

	b.section("Timeline")
	zones := timeZones(inc)
	b.header(slices.Concat([]string{"UTC"}, zones, []string{"Event"})...)
	for _, e := range inc.Timeline {
		b.f("| %s |", e.Time.UTC().Format("2006-01-02 15:04:05"))
		for _, z := range zones {
			loc, _ := time.LoadLocation(z)
			b.f(" %s |", e.Time.In(loc).Format("2006-01-02 15:04:05 MST"))
		}
		b.f(" %s |\n", cell(e.Text))
	}
	if inc.Dropped.Timeline > 0 {
		b.block()
		b.f("%d later events are not listed.\n", inc.Dropped.Timeline)
	}

	b.section("What the probes saw")
	for _, p := range inc.Probes {
		b.block()
		b.f("### %s\n\n", p.Name)
		rec := "still failing"
		if !p.Recovered.IsZero() {
			rec = "passing again from " + utc(p.Recovered)
		}
		b.f("%d of %d runs failed from %s; %s.", p.FailedRuns, p.Runs, utc(p.FirstFailure), rec)
		if p.Spells > 1 {
			b.f(" It started failing %d times.", p.Spells)
		}
		b.s("\n\n")
		b.f("- Reasons: %s\n", reasonsText(p.Reasons))
		if len(p.Phases) > 0 {
			var ph []string
			for _, x := range p.Phases {
				ph = append(ph, x.Name+" "+x.Duration.Round(time.Millisecond).String())
			}
			b.f("- Phases of the last failed run that had them: %s\n", strings.Join(ph, ", "))
		}
		if msgs := filter(inc.Messages, func(m *Message) bool { return m.Probe == p.Name }); len(msgs) > 0 {
			b.header("count", "reason", "message", "first", "last")
			for _, m := range msgs {
				b.f("| %d | %s | %s | %s | %s |\n", m.Count, m.Reason, cell(m.Text), utc(m.First), utc(m.Last))
			}
		}
		if diags := filter(inc.Diagnostics, func(d Diagnostic) bool { return d.Probe == p.Name }); len(diags) > 0 {
			b.block()
			b.s("Diagnostics:\n\n")
			for _, d := range diags {
				link := strings.TrimRight(base, "/") + "/diagnostics/" + d.Name
				if base == "" {
					link = "diagnostics/" + d.Name
				}
				if isImage(d.Name) {
					b.f("- %s: ![%s](%s)\n", utc(d.Time), d.Name, link)
				} else {
					b.f("- %s: [%s](%s)\n", utc(d.Time), d.Name, link)
				}
			}
		}
	}
	if inc.Dropped.Messages > 0 || inc.Dropped.Diagnostics > 0 {
		b.block()
		b.f("%d more distinct messages and %d more diagnostics are not listed.\n", inc.Dropped.Messages, inc.Dropped.Diagnostics)
	}

	b.section("Runbook")
	runbooks := runbookURLs(inc)
	if len(runbooks) == 0 {
		b.s("No runbook is linked to the SLOs or alerts of this incident.\n")
	}
	for _, r := range runbooks {
		b.f("- <%s>\n", r)
	}
	b.section("Root cause")
	b.s("_To be written._\n")
	b.section("Follow-ups")
	b.s("- [ ] _To be written._\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func utc(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// dur writes a duration to the second, or to the minute above an hour.
func dur(d time.Duration) string {
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

func endText(inc *Incident) string {
	if inc.Recovered.IsZero() {
		return "still failing"
	}
	return utc(inc.Recovered)
}

func triggerText(inc *Incident) string {
	if inc.Trigger == "failures" {
		return "a probe failed several runs in a row"
	}
	return "an alert fired"
}

func summaryText(inc *Incident, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From %s ", utc(inc.Started))
	if inc.Recovered.IsZero() {
		fmt.Fprintf(&b, "until now (%s)", dur(inc.Duration(now)))
	} else {
		fmt.Fprintf(&b, "to %s (%s)", utc(inc.Recovered), dur(inc.Duration(now)))
	}
	names := probeNames(inc)
	switch len(names) {
	case 0:
		b.WriteString(" no probe failed, yet")
	case 1:
		fmt.Fprintf(&b, " probe %s", names[0])
	default:
		fmt.Fprintf(&b, " probes %s", strings.Join(names, ", "))
	}
	if len(names) > 0 {
		fmt.Fprintf(&b, " failed %d of %d runs", inc.FailedRuns, inc.Runs)
		all := map[string]int{}
		for _, p := range inc.Probes {
			for r, n := range p.Reasons {
				all[r] += n
			}
		}
		fmt.Fprintf(&b, " (%s)", reasonsText(all))
	}
	fmt.Fprintf(&b, ", seen from agent %s", inc.Agent)
	if inc.Location != "" {
		fmt.Fprintf(&b, " in %s", inc.Location)
	}
	b.WriteString(".")
	if !inc.Detected.IsZero() {
		fmt.Fprintf(&b, " The page came %s after the first failure.", dur(inc.TimeToDetect()))
	}
	for _, s := range inc.SLOs {
		if sh := s.BudgetShare(); !math.IsNaN(sh) {
			fmt.Fprintf(&b, " It cost SLO %s %s of its window's error budget.", s.Name, pct(sh))
		}
	}
	return b.String()
}

func budgetText(s SLO) string {
	sh := s.BudgetShare()
	if math.IsNaN(sh) {
		return fmt.Sprintf("%.0f bad events; the window's budget is not known", s.BadEvents)
	}
	return fmt.Sprintf("%.0f bad events, %s of the window's budget (%.1f events)", s.BadEvents, pct(sh), s.Budget)
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }

func probeNames(inc *Incident) []string {
	var out []string
	for _, p := range inc.Probes {
		out = append(out, p.Name)
	}
	return out
}

// reasonsText writes reasons by count: "connect ×12, timeout ×3".
func reasonsText(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	rs := make([]slo.ReasonCount, 0, len(m))
	for r, n := range m {
		rs = append(rs, slo.ReasonCount{Reason: r, Count: n})
	}
	slices.SortFunc(rs, func(a, b slo.ReasonCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s ×%d", r.Reason, r.Count))
	}
	return strings.Join(parts, ", ")
}

func alertSubject(a *Alert) string {
	if a.SLO != "" {
		return "SLO " + a.SLO
	}
	return "probe " + a.Probe
}

// timeZones are the SLOs' time zones other than UTC, each once.
func timeZones(inc *Incident) []string {
	var out []string
	for _, s := range inc.SLOs {
		if s.TimeZone != "" && s.TimeZone != "UTC" && !slices.Contains(out, s.TimeZone) {
			if _, err := time.LoadLocation(s.TimeZone); err == nil {
				out = append(out, s.TimeZone)
			}
		}
	}
	return out
}

func runbookURLs(inc *Incident) []string {
	var out []string
	add := func(u string) {
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	for _, s := range inc.SLOs {
		add(s.RunbookURL)
	}
	for _, a := range inc.Alerts {
		add(a.RunbookURL)
	}
	return out
}

func isImage(name string) bool {
	for _, ext := range []string{".png", ".jpg", ".jpeg", ".webp"} {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return true
		}
	}
	return false
}
