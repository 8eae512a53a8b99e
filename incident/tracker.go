package incident

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unique"

	"github.com/sloagent/sloagent/internal/times"
	"github.com/sloagent/sloagent/slo"
)

// Run is one probe run as the tracker needs it.
type Run struct {
	Probe    string
	Time     time.Time
	Success  bool
	Reason   string
	Message  string
	Duration time.Duration
	// Diagnostics are the files the run left under the agent's
	// diagnostics/ (a screenshot, a debug trace).
	Diagnostics []string
	Phases      []Phase
	// SLOs are the SLOs the run counts towards.
	SLOs []string
}

// Source is the agent the tracker runs in.
type Source struct {
	Agent, Location string
}

// BudgetSource tells what an incident cost: slo.Engine is one.
type BudgetSource interface {
	BudgetSpent(slo string, from, to time.Time) (bad, budget float64, ok bool)
	TimeZone(slo string) *time.Location
}

// Tracker opens, fills and closes incidents from the agent's runs and
// alert transitions. Its methods may be called from any goroutine.
type Tracker struct {
	cfg    Config
	src    Source
	store  *Store
	budget BudgetSource
	log    *slog.Logger
	clock  func() time.Time

	mu     sync.Mutex
	probes map[string]*probeTrack
	open   []*Incident
	// dirty holds the incidents changed since they were last written:
	// true for runs, entries or alerts, false when only their cost in
	// error budget changed, which is written once a minute (costsAt).
	dirty   map[*Incident]bool
	costsAt time.Time
	days    map[dayKey]*DayStats
	pruned  time.Time
	// closed keeps the latest closed incidents when there is no store,
	// seq numbers its incidents.
	closed []*Incident
	seq    int
	today  dayName
}

// maxClosedInMemory bounds the closed incidents kept without a store.
const maxClosedInMemory = 100

// costsEvery is how often incidents whose cost alone changed are written:
// the cost follows from the SLO history, and while many incidents are
// open it changes for every one of them at every tick.
const costsEvery = time.Minute

// writeBatch bounds the incidents written in one transaction, and so the
// memory a write takes: at 10,000 open incidents (a network partition)
// one transaction of all took some 35 MB of JSON and as much of pages.
const writeBatch = 256

// probeTrack is what the tracker knows of a probe between runs.
type probeTrack struct {
	failing     bool
	streak      int
	streakStart time.Time
	lastReason  string
	slos        []string
	// pending holds the current streak's failed runs until an incident
	// takes them (the runs before it opened belong to it).
	pending []Run
}

// maxPending bounds the failed runs kept per probe before an incident.
const maxPending = 20

// NewTracker returns a tracker keeping incidents in store (nil: in memory
// only), with the open ones the store holds. budget may be nil; clock nil
// means time.Now.
func NewTracker(cfg Config, src Source, store *Store, budget BudgetSource, clock func() time.Time, log *slog.Logger) (*Tracker, error) {
	cfg.ApplyDefaults()
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Tracker{cfg: cfg, src: src, store: store, budget: budget, log: log, clock: clock,
		probes: map[string]*probeTrack{}, dirty: map[*Incident]bool{}, days: map[dayKey]*DayStats{}}
	if store != nil {
		open, err := store.openIncidents()
		if err != nil {
			return nil, fmt.Errorf("reading open incidents: %w", err)
		}
		t.open = open
	}
	return t, nil
}

// Configure applies a new config (defaults applied by the tracker).
func (t *Tracker) Configure(cfg Config) {
	cfg.ApplyDefaults()
	t.mu.Lock()
	t.cfg = cfg
	t.mu.Unlock()
}

// Record takes one run of any probe.
func (t *Tracker) Record(r Run) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// Only failing probes are tracked: a passing one keeps nothing here
	// (at 10,000 probes, some 150 bytes each).
	pt := t.probes[r.Probe]
	t.countDay(r, pt != nil && pt.failing)
	inc := t.incidentFor(r.Probe, r.SLOs)
	if r.Success {
		if inc != nil && inc.Recovered.IsZero() {
			// Runs count towards the incident until it has recovered.
			inc.Runs++
			if p := inc.probe(r.Probe); p != nil && p.Recovered.IsZero() {
				p.Runs++
			}
			t.dirty[inc] = true
		}
		delete(t.probes, r.Probe)
		// After a restart the tracker does not know the probe was
		// failing; the incident does.
		if inc != nil {
			t.probeRecovered(inc, r.Probe, r.Time)
		}
		return
	}
	if pt == nil {
		pt = &probeTrack{}
		t.probes[r.Probe] = pt
	}
	// Probes failing alike say the same: their incidents keep one copy
	// of the message. A passing run's is not worth a lookup on every run.
	if !r.Success {
		r.Message = unique.Make(r.Message).Value()
	}
	if !slices.Equal(pt.slos, r.SLOs) {
		pt.slos = slices.Clone(r.SLOs)
	}
	if !pt.failing {
		pt.failing, pt.streak, pt.streakStart, pt.lastReason = true, 0, r.Time, ""
	}
	pt.streak++
	if inc != nil {
		t.failed(inc, r, pt)
		return
	}
	if len(pt.pending) < maxPending {
		pt.pending = append(pt.pending, r)
	}
	if n := *t.cfg.OpenAfterFailures; n > 0 && pt.streak >= n {
		inc = t.openIncident("failures", "Probe "+r.Probe+" is failing", pt.streakStart, r.Time)
		t.takePending(inc, r.Probe, pt)
		inc.add(Entry{Time: r.Time, Kind: KindOpened, Probe: r.Probe,
			Text: fmt.Sprintf("incident opened: %d failed runs in a row", pt.streak)})
		// Written as it opened; its first runs and entries go with the
		// next tick rather than a second transaction while every run
		// waits (10,000 probes failing at once open 10,000 incidents).
		t.dirty[inc] = true
	}
}

// takePending gives the incident the probe's failed runs so far.
func (t *Tracker) takePending(inc *Incident, probe string, pt *probeTrack) {
	for _, r := range pt.pending {
		t.failed(inc, r, pt)
	}
	pt.pending = nil
	if inc.probe(probe) == nil && pt.failing {
		// More failures than were kept: the probe joins with its start.
		t.failed(inc, Run{Probe: probe, Time: pt.streakStart, Reason: pt.lastReason, SLOs: pt.slos}, pt)
	}
}

// incidentFor returns the open incident a run of probe belongs to: one
// it is part of, else one of its SLOs'.
func (t *Tracker) incidentFor(probe string, slos []string) *Incident {
	for _, inc := range t.open {
		if inc.probe(probe) != nil {
			return inc
		}
	}
	for _, inc := range t.open {
		for _, s := range slos {
			if inc.hasSLO(s) {
				return inc
			}
		}
	}
	return nil
}

func (t *Tracker) openIncident(trigger, title string, started, at time.Time) *Incident {
	inc := &Incident{Title: title, Trigger: trigger, Started: started, Opened: at,
		Agent: t.src.Agent, Location: t.src.Location, Agents: []string{t.src.Agent}}
	if t.src.Location != "" {
		inc.Locations = []string{t.src.Location}
	}
	if t.store != nil {
		if err := t.store.create(inc); err != nil {
			t.log.Error("writing a new incident failed; it is kept in memory", "err", err)
		}
	}
	if inc.ID == "" {
		t.seq++
		inc.ID = fmt.Sprint(t.seq)
	}
	t.open = append(t.open, inc)
	t.log.Warn("incident opened", "incident", inc.ID, "title", title, "trigger", trigger, "started", started)
	return inc
}

// failed adds a failed run to the incident.
func (t *Tracker) failed(inc *Incident, r Run, pt *probeTrack) {
	p := inc.probe(r.Probe)
	switch {
	case p == nil:
		p = &Probe{Name: r.Probe, FirstFailure: r.Time, Reasons: map[string]int{}, Spells: 1}
		inc.Probes = append(inc.Probes, p)
		inc.add(Entry{Time: r.Time, Kind: KindFirstFailure, Probe: r.Probe, Reason: r.Reason,
			Text: "first failed run of " + r.Probe + ": " + failureText(r)})
		if r.Time.Before(inc.Started) {
			inc.Started = r.Time
		}
		for _, s := range r.SLOs {
			t.addSLO(inc, s, "")
		}
	case !p.Recovered.IsZero():
		p.Recovered, inc.Recovered = time.Time{}, time.Time{}
		p.Spells++
		inc.add(Entry{Time: r.Time, Kind: KindFailingAgain, Probe: r.Probe, Reason: r.Reason,
			Text: r.Probe + " failing again: " + failureText(r)})
	case pt.lastReason != "" && r.Reason != pt.lastReason:
		inc.add(Entry{Time: r.Time, Kind: KindReasonChanged, Probe: r.Probe, Reason: r.Reason,
			Text: fmt.Sprintf("%s: reason changed from %s to %s: %s", r.Probe, pt.lastReason, r.Reason, r.Message)})
	}
	pt.lastReason = r.Reason
	p.Runs++
	p.FailedRuns++
	inc.Runs++
	inc.FailedRuns++
	if r.Time.After(p.LastFailure) {
		p.LastFailure = r.Time
	}
	if _, ok := p.Reasons[r.Reason]; ok || len(p.Reasons) < maxReasons {
		p.Reasons[r.Reason]++
	}
	if len(r.Phases) > 0 {
		p.Phases = slices.Clone(r.Phases)
	}
	t.message(inc, r)
	for _, d := range r.Diagnostics {
		if len(inc.Diagnostics) >= maxDiagnostics {
			inc.Dropped.Diagnostics++
			continue
		}
		inc.Diagnostics = append(inc.Diagnostics, Diagnostic{Time: r.Time, Probe: r.Probe, Name: d})
	}
	t.dirty[inc] = true
}

// message counts the run's message among the incident's distinct ones.
func (t *Tracker) message(inc *Incident, r Run) {
	for _, m := range inc.Messages {
		if m.Probe == r.Probe && m.Reason == r.Reason && m.Text == r.Message {
			m.Count++
			m.Last = r.Time
			return
		}
	}
	if len(inc.Messages) >= maxMessages {
		inc.Dropped.Messages++
		return
	}
	inc.Messages = append(inc.Messages, &Message{Probe: r.Probe, Reason: r.Reason, Text: r.Message, Count: 1, First: r.Time, Last: r.Time})
}

func failureText(r Run) string {
	if r.Message == "" {
		return r.Reason
	}
	return r.Reason + ": " + r.Message
}

// addSLO adds an SLO to the incident, with its runbook when known.
func (t *Tracker) addSLO(inc *Incident, name, runbook string) {
	for i := range inc.SLOs {
		if inc.SLOs[i].Name == name {
			if runbook != "" {
				inc.SLOs[i].RunbookURL = runbook
			}
			return
		}
	}
	s := SLO{Name: name, RunbookURL: runbook, TimeZone: "UTC"}
	if t.budget != nil {
		s.TimeZone = t.budget.TimeZone(name).String()
	}
	inc.SLOs = append(inc.SLOs, s)
}

// probeRecovered notes a probe's first success after failing.
func (t *Tracker) probeRecovered(inc *Incident, probe string, at time.Time) {
	p := inc.probe(probe)
	if p == nil || !p.Recovered.IsZero() {
		return
	}
	p.Recovered = at
	inc.add(Entry{Time: at, Kind: KindProbeRecovered, Probe: probe, Text: probe + " passes again"})
	t.checkRecovered(inc, at)
	t.dirty[inc] = true
}

// checkRecovered marks the incident recovered when every probe passes
// again (an incident without failing probes, opened by an alert, when
// its alerts are resolved). The alerts lag the probes by their windows;
// they keep the incident open, not failing.
func (t *Tracker) checkRecovered(inc *Incident, at time.Time) {
	if !inc.Recovered.IsZero() {
		return
	}
	var last time.Time
	for _, p := range inc.Probes {
		if p.Recovered.IsZero() {
			return
		}
		last = times.Later(last, p.Recovered)
	}
	text := "recovered: every probe passes"
	if len(inc.Probes) == 0 {
		if !t.alertsResolved(inc) {
			return
		}
		last, text = at, "recovered: the alerts are resolved"
	}
	inc.Recovered = last
	inc.add(Entry{Time: last, Kind: KindRecovered, Text: text})
}

// alertsResolved reports whether every alert of a severity that opens
// incidents is resolved: a ticket alert's slow burn outlasts the outage
// by hours.
func (t *Tracker) alertsResolved(inc *Incident) bool {
	for _, a := range inc.Alerts {
		if a.Resolved.IsZero() && t.cfg.opensOn(a.Severity) {
			return false
		}
	}
	return true
}

// settled is when the incident's recovery and its alerts' resolution
// were last complete; zero while either is not.
func (t *Tracker) settled(inc *Incident) time.Time {
	if inc.Recovered.IsZero() || !t.alertsResolved(inc) {
		return time.Time{}
	}
	at := inc.Recovered
	for _, a := range inc.Alerts {
		if t.cfg.opensOn(a.Severity) {
			at = times.Later(at, a.Resolved)
		}
	}
	return at
}

// Alerts takes the transitions of an alert evaluation (an SLO's, or a
// probe's own): a firing alert of a severity in open_on opens an
// incident (or joins the open one of its SLO or failing probes), any
// firing or resolved alert of an open incident's SLO or probe goes on
// its timeline.
func (t *Tracker) Alerts(ts []slo.Transition) {
	t.mu.Lock()
	defer t.mu.Unlock()
	changed := false
	for i := range ts {
		tr := &ts[i]
		switch tr.State {
		case slo.AlertFiring:
			changed = t.alertFired(tr) || changed
		case slo.AlertResolved:
			changed = t.alertResolved(tr) || changed
		}
	}
	if changed {
		// Written at once, in one go: at 10,000 SLOs an outage fires
		// 20,000 alerts in one evaluation.
		t.flush(t.clock())
	}
}

// alertFired reports whether an incident changed.
func (t *Tracker) alertFired(tr *slo.Transition) bool {
	inc := t.incidentForAlert(&tr.Alert)
	if inc == nil {
		if !t.cfg.opensOn(tr.Severity) {
			return false
		}
		started := tr.ActiveSince
		for _, pt := range t.failingFor(&tr.Alert) {
			if pt.streakStart.Before(started) {
				started = pt.streakStart
			}
		}
		inc = t.openIncident("alert", alertTitle(&tr.Alert), started, tr.FiringSince)
		inc.add(Entry{Time: tr.FiringSince, Kind: KindOpened, SLO: tr.SLO, Probe: tr.Probe,
			Text: openedText(tr.Severity)})
	}
	if tr.SLO != "" {
		t.addSLO(inc, tr.SLO, tr.RunbookURL)
	}
	inc.Alerts = append(inc.Alerts, &Alert{Name: tr.Name, SLO: tr.SLO, Probe: tr.Probe, Severity: tr.Severity,
		Fired: tr.FiringSince, RunbookURL: tr.RunbookURL})
	text := alertTitle(&tr.Alert) + " fired"
	if len(tr.Conditions) > 0 {
		text += " (burn rates " + burnText(tr.Conditions) + ")"
	}
	if len(tr.Reasons) > 0 {
		text += "; reasons " + slo.ReasonsText(tr.Reasons)
	}
	inc.add(Entry{Time: tr.FiringSince, Kind: KindAlertFired, SLO: tr.SLO, Probe: tr.Probe, Text: text})
	if t.cfg.opensOn(tr.Severity) && inc.Detected.IsZero() {
		inc.Detected = tr.FiringSince
	}
	if t.cfg.opensOn(tr.Severity) && len(inc.Probes) == 0 {
		inc.Recovered = time.Time{}
	}
	// The probes failing now for the SLO are part of it.
	for name, pt := range t.probes {
		if pt.failing && inc.probe(name) == nil && (name == tr.Probe || slices.Contains(pt.slos, tr.SLO) && tr.SLO != "") {
			t.takePending(inc, name, pt)
		}
	}
	t.dirty[inc] = true
	return true
}

// openedText is the opening entry's text for an alert of severity, the
// same string for every incident a severity opens.
func openedText(severity string) string {
	switch severity {
	case "page":
		return "incident opened: the page alert fired"
	case "ticket":
		return "incident opened: the ticket alert fired"
	}
	return "incident opened: the " + severity + " alert fired"
}

// failingFor returns the failing probes an alert is about.
func (t *Tracker) failingFor(a *slo.Alert) []*probeTrack {
	var out []*probeTrack
	for name, pt := range t.probes {
		if pt.failing && (name == a.Probe || a.SLO != "" && slices.Contains(pt.slos, a.SLO)) {
			out = append(out, pt)
		}
	}
	return out
}

// alertResolved reports whether an incident changed.
func (t *Tracker) alertResolved(tr *slo.Transition) bool {
	for _, inc := range t.open {
		for _, a := range inc.Alerts {
			if a.Resolved.IsZero() && a.Name == tr.Name && a.SLO == tr.SLO && a.Probe == tr.Probe && a.Severity == tr.Severity {
				a.Resolved = tr.ResolvedAt
				inc.add(Entry{Time: tr.ResolvedAt, Kind: KindAlertResolved, SLO: tr.SLO, Probe: tr.Probe,
					Text: alertTitle(&tr.Alert) + " resolved"})
				t.checkRecovered(inc, tr.ResolvedAt)
				t.dirty[inc] = true
				return true
			}
		}
	}
	return false
}

// incidentForAlert returns the open incident an alert belongs to: the
// one of its SLO or probe, else one holding a probe failing for it.
func (t *Tracker) incidentForAlert(a *slo.Alert) *Incident {
	for _, inc := range t.open {
		if a.SLO != "" && inc.hasSLO(a.SLO) || a.Probe != "" && inc.probe(a.Probe) != nil {
			return inc
		}
	}
	for name, pt := range t.probes {
		if !pt.failing || a.SLO == "" || !slices.Contains(pt.slos, a.SLO) {
			continue
		}
		for _, inc := range t.open {
			if inc.probe(name) != nil {
				return inc
			}
		}
	}
	return nil
}

func alertTitle(a *slo.Alert) string {
	if a.SLO != "" {
		return "the " + a.Severity + " alert of SLO " + a.SLO
	}
	return "the " + a.Severity + " alert of probe " + a.Probe
}

func burnText(cs []slo.AlertCondition) string {
	var parts []string
	for _, c := range cs {
		if c.Firing {
			parts = append(parts, fmt.Sprintf("%s %.3g and %s %.3g over %g",
				slo.FormatDuration(c.LongWindow), c.LongBurn, slo.FormatDuration(c.ShortWindow), c.ShortBurn, c.Factor))
		}
	}
	return strings.Join(parts, "; ")
}

// IncidentOf returns the ID of the open incident an alert belongs to, or
// "": the link a notification carries.
func (t *Tracker) IncidentOf(a *slo.Alert) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, inc := range t.open {
		for _, x := range inc.Alerts {
			if x.Name == a.Name && x.SLO == a.SLO && x.Probe == a.Probe && x.Severity == a.Severity {
				return inc.ID
			}
		}
	}
	return ""
}

// Tick updates what open incidents cost, closes those whose recovery has
// held for close_after, and writes what changed. Call it every few
// seconds: a kill loses the runs counted since the last tick (opening,
// alerts and closing are written at once) and at most a minute's change
// of the cost.
func (t *Tracker) Tick() {
	now := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	keep := t.open[:0]
	for _, inc := range t.open {
		t.cost(inc, now)
		if at := t.settled(inc); !at.IsZero() && now.Sub(at) >= t.cfg.CloseAfter.D() {
			inc.Closed = now
			inc.add(Entry{Time: now, Kind: KindClosed, Text: "closed: recovery held, alerts resolved, for " + slo.FormatDuration(t.cfg.CloseAfter.D())})
			t.dirty[inc] = true
			t.log.Info("incident closed", "incident", inc.ID, "title", inc.Title, "duration", inc.Duration(now).Round(time.Second),
				"failed_runs", inc.FailedRuns)
			if t.store == nil {
				if len(t.closed) >= maxClosedInMemory {
					t.closed = t.closed[1:]
				}
				t.closed = append(t.closed, inc)
			}
			continue
		}
		keep = append(keep, inc)
	}
	clear(t.open[len(keep):])
	t.open = keep
	t.flush(now)
}

// cost updates the error budget the incident consumed of each SLO.
func (t *Tracker) cost(inc *Incident, now time.Time) {
	if t.budget == nil {
		return
	}
	end := inc.Recovered
	if end.IsZero() {
		end = now
	}
	for i := range inc.SLOs {
		s := &inc.SLOs[i]
		if bad, budget, ok := t.budget.BudgetSpent(s.Name, inc.Started, end); ok && (bad != s.BadEvents || budget != s.Budget) {
			s.BadEvents, s.Budget = bad, budget
			if _, ok := t.dirty[inc]; !ok {
				t.dirty[inc] = false // the cost alone
			}
		}
	}
}

// flush writes the changed incidents and daily counts. t.mu is held.
func (t *Tracker) flush(now time.Time) {
	if t.store == nil {
		clear(t.dirty)
		return
	}
	costs := now.Sub(t.costsAt) >= costsEvery
	incs := make([]*Incident, 0, len(t.dirty))
	for inc, changed := range t.dirty {
		if changed || costs {
			incs = append(incs, inc)
		}
	}
	var days []*DayStats
	for k, d := range t.days {
		if d.dirty {
			days = append(days, d)
		}
		if k.day < dayOf(now.Add(-48*time.Hour)) {
			delete(t.days, k)
		}
	}
	for len(incs) > 0 || len(days) > 0 {
		ni, nd := min(len(incs), writeBatch), min(len(days), 4*writeBatch)
		if err := t.store.put(incs[:ni], days[:nd]); err != nil {
			t.log.Error("writing incidents failed; trying again at the next tick", "err", err)
			return
		}
		for _, inc := range incs[:ni] {
			delete(t.dirty, inc)
		}
		for _, d := range days[:nd] {
			d.dirty = false
		}
		incs, days = incs[ni:], days[nd:]
	}
	if costs {
		t.costsAt = now
	}
	// Once written, an earlier day's counts are read back from the store
	// if a late run needs them: only today's stay in memory (at 10,000
	// probes some 1.3 MB a day).
	today := dayOf(now)
	for k, d := range t.days {
		if k.day != today && !d.dirty {
			delete(t.days, k)
		}
	}
	if now.Sub(t.pruned) > time.Hour {
		if err := t.store.prune(now.Add(-t.cfg.Retention.D())); err != nil {
			t.log.Warn("deleting old incidents failed", "err", err)
		}
		t.pruned = now
	}
}

// Run ticks every interval until ctx is done, then writes a last time.
func (t *Tracker) Run(ctx context.Context, every time.Duration) {
	times.Every(ctx, every, func(time.Time) { t.Tick() })
	t.Tick()
}

// OpenCount is how many incidents are open.
func (t *Tracker) OpenCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.open)
}

// Open returns copies of the open incidents, newest first.
func (t *Tracker) Open() []*Incident {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*Incident, 0, len(t.open))
	for i := len(t.open) - 1; i >= 0; i-- {
		out = append(out, t.open[i].clone())
	}
	return out
}

// Get returns the incident with the ID, open or closed.
func (t *Tracker) Get(id string) (*Incident, bool) {
	t.mu.Lock()
	for _, inc := range t.open {
		if inc.ID == id {
			c := inc.clone()
			t.mu.Unlock()
			return c, true
		}
	}
	for _, inc := range t.closed {
		if inc.ID == id {
			c := inc.clone()
			t.mu.Unlock()
			return c, true
		}
	}
	t.mu.Unlock()
	if t.store == nil {
		return nil, false
	}
	inc, err := t.store.get(id)
	if err != nil || inc == nil {
		return nil, false
	}
	return inc, true
}

// List returns the incidents that overlap from..to, newest first: the
// open ones as they are now, the closed ones from the store.
func (t *Tracker) List(from, to time.Time) []*Incident {
	out := []*Incident{}
	open := map[string]bool{}
	for _, inc := range t.Open() {
		open[inc.ID] = true
		if !inc.Started.After(to) {
			out = append(out, inc)
		}
	}
	if t.store == nil {
		t.mu.Lock()
		for _, inc := range t.closed {
			if !inc.Closed.Before(from) && !inc.Started.After(to) {
				out = append(out, inc.clone())
			}
		}
		t.mu.Unlock()
		slices.SortStableFunc(out, func(a, b *Incident) int { return b.Started.Compare(a.Started) })
		return out
	}
	err := t.store.each(func(inc *Incident) bool {
		if open[inc.ID] {
			return true
		}
		if inc.Closed.Before(from) {
			return true // may still meet a longer, older one
		}
		if !inc.Started.After(to) {
			out = append(out, inc)
		}
		return true
	})
	if err != nil {
		t.log.Error("reading incidents failed", "err", err)
	}
	slices.SortStableFunc(out, func(a, b *Incident) int { return b.Started.Compare(a.Started) })
	return out
}
