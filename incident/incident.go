// Package incident turns an outage into an incident the on-call engineer
// can read during it and review after it: it opens when a page alert
// fires or a probe fails several runs in a row, keeps a timeline (the
// first failed run, each change of reason, alerts fired and resolved,
// recovery), the failed runs' messages (deduplicated, with counts) and
// diagnostics, and the impact (duration, failed runs, error budget
// consumed, probes, agents, locations, time to detect and to recover),
// and closes once recovery has held for a while. Incidents are kept in a
// bbolt file beside the SLO state and survive a restart or a kill. The
// review package functions render an incident's live-site review and the
// period report of a week's operations review in Markdown.
package incident

import (
	"slices"
	"time"
)

// Incident is one outage as the agent saw it.
type Incident struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Trigger is what opened it: "alert" (a page alert fired) or
	// "failures" (a probe failed runs in a row).
	Trigger string `json:"trigger"`
	// Started is the first failed run (or, for an alert without failing
	// runs, when the alert went pending); Opened is when the incident
	// opened; Detected when the first page alert fired (zero if none).
	Started  time.Time `json:"started"`
	Opened   time.Time `json:"opened"`
	Detected time.Time `json:"detected,omitzero"`
	// Recovered is when every probe passed again and every alert was
	// resolved, zero while it is still failing; Closed is when recovery
	// had held for the close_after time.
	Recovered time.Time `json:"recovered,omitzero"`
	Closed    time.Time `json:"closed,omitzero"`

	Agent     string   `json:"agent"`
	Location  string   `json:"location,omitempty"`
	Agents    []string `json:"agents"`
	Locations []string `json:"locations,omitempty"`

	SLOs   []SLO    `json:"slos,omitempty"`
	Probes []*Probe `json:"probes"`
	Alerts []*Alert `json:"alerts,omitempty"`

	Timeline    []Entry      `json:"timeline"`
	Messages    []*Message   `json:"messages"`
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
	// Dropped counts what did not fit the bounds of a long incident.
	Dropped Dropped `json:"dropped,omitzero"`

	// Runs and FailedRuns count the runs of the incident's probes while
	// it was open, with the failed runs that opened it.
	Runs       int `json:"runs"`
	FailedRuns int `json:"failed_runs"`
}

// SLO is an SLO the incident concerns, with the error budget it cost.
type SLO struct {
	Name       string `json:"name"`
	RunbookURL string `json:"runbook_url,omitempty"`
	// TimeZone is the SLO's (its calendar window's, else UTC), for the
	// review's timeline.
	TimeZone string `json:"time_zone,omitempty"`
	// BadEvents are the SLO's bad events during the incident; Budget the
	// window's error budget in events when they were counted, so that
	// BadEvents / Budget is the share of the window's budget consumed.
	BadEvents float64 `json:"bad_events"`
	Budget    float64 `json:"budget"`
}

// BudgetShare is the share of the window's error budget the incident
// consumed; NaN when not known.
func (s SLO) BudgetShare() float64 {
	if s.Budget <= 0 {
		return nan
	}
	return s.BadEvents / s.Budget
}

// Probe is a probe that failed during the incident.
type Probe struct {
	Name         string         `json:"name"`
	FirstFailure time.Time      `json:"first_failure"`
	LastFailure  time.Time      `json:"last_failure"`
	Recovered    time.Time      `json:"recovered,omitzero"` // zero while failing
	Runs         int            `json:"runs"`
	FailedRuns   int            `json:"failed_runs"`
	Reasons      map[string]int `json:"reasons"`
	// Phases are the timing phases of the latest failed run that had
	// any (resolve, connect, tls, ...), which show where it hung.
	Phases []Phase `json:"phases,omitempty"`
	// Spells counts the times it started failing.
	Spells int `json:"spells"`
}

// Phase is one timing phase of a run.
type Phase struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration"`
}

// Alert is an alert that fired during the incident.
type Alert struct {
	Name       string    `json:"name"`
	SLO        string    `json:"slo,omitempty"`
	Probe      string    `json:"probe,omitempty"`
	Severity   string    `json:"severity"`
	Fired      time.Time `json:"fired"`
	Resolved   time.Time `json:"resolved,omitzero"`
	RunbookURL string    `json:"runbook_url,omitempty"`
}

// Entry is one line of the timeline.
type Entry struct {
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"` // one of the Entry kinds
	Probe  string    `json:"probe,omitempty"`
	SLO    string    `json:"slo,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Text   string    `json:"text"`
}

// Entry kinds.
const (
	KindFirstFailure   = "first_failure"
	KindReasonChanged  = "reason_changed"
	KindOpened         = "opened"
	KindAlertFired     = "alert_fired"
	KindAlertResolved  = "alert_resolved"
	KindProbeRecovered = "probe_recovered"
	KindFailingAgain   = "failing_again"
	KindRecovered      = "recovered"
	KindClosed         = "closed"
)

// Message is one distinct failure message of a probe, with how often it
// came.
type Message struct {
	Probe  string    `json:"probe"`
	Reason string    `json:"reason"`
	Text   string    `json:"text"`
	Count  int       `json:"count"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
}

// Diagnostic is a file a failed run left (a screenshot, a debug trace),
// served by the agent under diagnostics/.
type Diagnostic struct {
	Time  time.Time `json:"time"`
	Probe string    `json:"probe"`
	Name  string    `json:"name"`
}

// Dropped counts entries beyond an incident's bounds.
type Dropped struct {
	Timeline    int `json:"timeline,omitempty"`
	Messages    int `json:"messages,omitempty"`
	Diagnostics int `json:"diagnostics,omitempty"`
}

// Bounds of one incident, so that a week-long outage of many probes stays
// a few hundred kilobytes: the first entries are kept, the rest counted.
const (
	maxTimeline    = 500
	maxMessages    = 100
	maxDiagnostics = 50
	maxReasons     = 32
)

// Open reports whether the incident is still open.
func (i *Incident) Open() bool { return i.Closed.IsZero() }

// Duration is from the first failed run to recovery, or to now while it
// is failing.
func (i *Incident) Duration(now time.Time) time.Duration {
	end := i.Recovered
	if end.IsZero() {
		end = now
	}
	return end.Sub(i.Started)
}

// TimeToDetect is from the first failed run to the first page alert, or
// to the incident's opening when no alert fired.
func (i *Incident) TimeToDetect() time.Duration {
	at := i.Detected
	if at.IsZero() {
		at = i.Opened
	}
	return at.Sub(i.Started)
}

// TimeToRecover is from the first failed run to recovery; zero while it
// is failing.
func (i *Incident) TimeToRecover() time.Duration {
	if i.Recovered.IsZero() {
		return 0
	}
	return i.Recovered.Sub(i.Started)
}

// probe returns the incident's record of the probe named, or nil.
func (i *Incident) probe(name string) *Probe {
	for _, p := range i.Probes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// hasSLO reports whether the incident concerns the SLO named.
func (i *Incident) hasSLO(name string) bool {
	for _, s := range i.SLOs {
		if s.Name == name {
			return true
		}
	}
	return false
}

// add puts an entry on the timeline, in time order (a probe's first
// failed run can come before the alert that opened the incident), within
// the bound.
func (i *Incident) add(e Entry) {
	if len(i.Timeline) >= maxTimeline {
		i.Dropped.Timeline++
		return
	}
	k := len(i.Timeline)
	for k > 0 && i.Timeline[k-1].Time.After(e.Time) {
		k--
	}
	i.Timeline = slices.Insert(i.Timeline, k, e)
}

// Summary is an incident as the list shows it.
type Summary struct {
	ID         string        `json:"id"`
	Title      string        `json:"title"`
	Open       bool          `json:"open"`
	Started    time.Time     `json:"started"`
	Recovered  time.Time     `json:"recovered,omitzero"`
	Closed     time.Time     `json:"closed,omitzero"`
	Duration   time.Duration `json:"duration"`
	SLOs       []string      `json:"slos,omitempty"`
	Probes     []string      `json:"probes"`
	FailedRuns int           `json:"failed_runs"`
}

// Summarize returns the incident's summary at now.
func (i *Incident) Summarize(now time.Time) Summary {
	s := Summary{ID: i.ID, Title: i.Title, Open: i.Open(), Started: i.Started, Recovered: i.Recovered,
		Closed: i.Closed, Duration: i.Duration(now), FailedRuns: i.FailedRuns}
	for _, x := range i.SLOs {
		s.SLOs = append(s.SLOs, x.Name)
	}
	for _, p := range i.Probes {
		s.Probes = append(s.Probes, p.Name)
	}
	return s
}
