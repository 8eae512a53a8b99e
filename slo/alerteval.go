package slo

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/sloagent/sloagent/internal/times"
)

// AlertName is the alertname of an SLO's alerts, in the agent, in
// notifications and in the generated rules.
const AlertName = alertName

// topReasons is how many failure reasons an alert names.
const topReasons = 5

// sloAlerts is one SLO's alerting state: each severity's lifecycle, what
// its last evaluation saw, and the SLO's latest bad runs. It is kept
// across reloads by SLO name, like the SLO's history.
//
// An alert is built from these when it is read, not kept whole: the rest
// of it (its window pairs, summary and description) follows from them,
// and 10,000 SLOs kept 2 alerts each of some 800 bytes with their text,
// then each severity's window pairs (288 bytes an SLO).
type sloAlerts struct {
	name     string
	failures failureLog

	mu sync.Mutex
	// life is each severity's lifecycle, as severities; nil while both
	// are zero, as they stay for an SLO that never alerted (80 bytes an
	// SLO otherwise).
	life *[2]packedLifecycle
	// sums are the counts of the shape's short windows at the last
	// evaluation, reasons each severity's top reasons then.
	sums    []counts
	reasons [2][]ReasonCount
	// The config and shape of the last evaluation; nil before it.
	cfg   *Config
	shape *shape
}

// packedLifecycle is a Lifecycle as an SLO keeps it, its times in Unix
// nanoseconds (0 for the zero time): 40 bytes where a Lifecycle takes 104,
// which at 10,000 SLOs whose alerts all fired (a network partition) was
// 1.3 MB more.
type packedLifecycle struct {
	state                                 AlertState
	active, firing, resolved, lastChanged int64
}

func pack(l Lifecycle) packedLifecycle {
	return packedLifecycle{l.State, times.UnixNano(l.ActiveSince), times.UnixNano(l.FiringSince),
		times.UnixNano(l.ResolvedAt), times.UnixNano(l.LastChange)}
}

func (p packedLifecycle) unpack() Lifecycle {
	return Lifecycle{State: p.state, ActiveSince: times.FromUnixNano(p.active), FiringSince: times.FromUnixNano(p.firing),
		ResolvedAt: times.FromUnixNano(p.resolved), LastChange: times.FromUnixNano(p.lastChanged)}
}

// lifecycle is severity k's lifecycle. al.mu is held.
func (al *sloAlerts) lifecycle(k int) Lifecycle {
	if al.life == nil {
		return Lifecycle{}
	}
	return al.life[k].unpack()
}

// setLifecycle stores severity k's lifecycle. al.mu is held, or al is
// not yet shared.
func (al *sloAlerts) setLifecycle(k int, l Lifecycle) {
	if al.life == nil {
		if l == (Lifecycle{}) {
			return
		}
		al.life = new([2]packedLifecycle)
	}
	al.life[k] = pack(l)
}

// step moves severity k's lifecycle on, as Lifecycle.Step. al.mu is held.
func (al *sloAlerts) step(k int, active bool, now time.Time, hold time.Duration) (from AlertState, changed bool) {
	l := al.lifecycle(k)
	from, changed = l.Step(active, now, hold)
	if changed {
		al.setLifecycle(k, l)
	}
	return from, changed
}

func sevIndex(sev string) int {
	if sev == "ticket" {
		return 1
	}
	return 0
}

// openAlerts builds the alerting state of the SLO name with the
// lifecycles the store kept: an alert that was firing before a restart
// (or a kill) keeps its firing-since time.
func (e *Engine) openAlerts(name string) *sloAlerts {
	al := &sloAlerts{name: name}
	if e.store == nil {
		return al
	}
	kept, err := e.store.loadAlerts(name)
	if err != nil {
		e.log.Error("reading SLO alert state failed; its alerts start inactive", "slo", name, "err", err)
		return al
	}
	for sev, l := range kept {
		al.setLifecycle(sevIndex(sev), l)
	}
	return al
}

// noteBad remembers a bad run's reason for naming the window's top reasons.
func (al *sloAlerts) noteBad(ev *Event, cfg *Config) {
	if cfg.inMaintenance(ev.Time) {
		return
	}
	reason := ev.Reason
	if ev.Success {
		reason = ReasonSlow
	}
	al.failures.add(ev.Time, reason)
}

// retire resolves the alerts of SLOs no longer configured and forgets
// them; the next evaluation reports the transitions. e.amu must be held.
func (e *Engine) retire(gone []*sloAlerts) {
	if len(gone) == 0 {
		return
	}
	now := e.clock()
	var names []string
	for _, al := range gone {
		names = append(names, al.name)
		al.mu.Lock()
		for i := range severities {
			if s := al.lifecycle(i).State; s != AlertPending && s != AlertFiring {
				continue
			}
			a := al.last(i)
			from, _ := al.step(i, false, now, 0)
			a.Lifecycle = al.lifecycle(i)
			a.Description = "SLO " + al.name + " was removed from the configuration."
			e.retired = append(e.retired, Transition{Alert: a, From: from})
		}
		al.mu.Unlock()
	}
	if e.store != nil {
		if err := e.store.deleteAlerts(names); err != nil {
			e.log.Warn("forgetting the alert state of removed SLOs failed", "err", err)
		}
	}
}

// EvaluateAlerts evaluates every SLO's alerts now: it moves each
// severity's lifecycle on, writes the changed ones to the store at once
// (so that a firing-since time survives a kill), logs one line per
// transition and returns the transitions, in config order.
func (e *Engine) EvaluateAlerts() []Transition {
	e.amu.Lock()
	defer e.amu.Unlock()
	now := e.clock()
	snap := e.snap.Load()
	out := e.retired
	e.retired = nil
	var changed []alertRecord
	var sumsBuf [maxStackBounds]counts
	var condBuf [8]AlertCondition
	for i, st := range snap.slos {
		al := snap.alerts[i]
		cfg := &snap.cfgs[i]
		st.mu.Lock()
		shp := st.shape
		sums := st.windowCounts(now, sumsBuf[:0])[:len(shp.windows)]
		st.mu.Unlock()
		al.mu.Lock()
		al.cfg, al.shape = cfg, shp
		al.sums = append(al.sums[:0], sums...)
		for k, sev := range severities {
			conds := conditions(cfg, shp, sev, al.sums, condBuf[:0])
			firing := false
			for _, c := range conds {
				firing = firing || c.Firing
			}
			from, moved := al.step(k, firing, now, cfg.Alerting.For.of(sev))
			al.reasons[k] = al.failures.top(now.Add(-longest(conds)), topReasons)
			if moved {
				out = append(out, Transition{Alert: al.last(k), From: from})
				changed = append(changed, alertRecord{al.name, sev, al.lifecycle(k)})
			}
		}
		al.mu.Unlock()
	}
	recordTransitions(e.store, e.log, "SLO", changed, out)
	return out
}

// recordTransitions ends an evaluation: it writes the changed lifecycles
// to store, if there is one, and logs each transition. what names the
// kind of alert in the error ("SLO", "probe").
func recordTransitions(store *Store, log *slog.Logger, what string, changed []alertRecord, out []Transition) {
	if len(changed) > 0 && store != nil {
		if err := store.putAlerts(changed); err != nil {
			log.Error("writing "+what+" alert state failed; a restart may forget when alerts fired", "err", err)
		}
	}
	for _, t := range out {
		logTransition(log, t)
	}
}

// longest is the longest window of conditions.
func longest(conds []AlertCondition) time.Duration {
	var w time.Duration
	for _, p := range conds {
		w = max(w, p.LongWindow)
	}
	return w
}

// last builds severity k's alert as its last evaluation saw it; before
// the first, it holds only the lifecycle. al.mu is held.
func (al *sloAlerts) last(k int) Alert {
	a := Alert{Name: AlertName, SLO: al.name, Severity: severities[k], Lifecycle: al.lifecycle(k)}
	if al.cfg == nil {
		return a
	}
	c := conditions(al.cfg, al.shape, severities[k], al.sums, nil)
	a.Conditions, a.Reasons, a.Window = c, al.reasons[k], longest(c)
	a.RunbookURL, a.Labels = al.cfg.RunbookURL, al.cfg.Labels
	// The description's burn rate is the highest long window's of the
	// pairs that hold, else the first pair's.
	burn, holds := math.NaN(), false
	for _, p := range c {
		switch {
		case p.Firing && (!holds || p.LongBurn > burn):
			burn, holds = p.LongBurn, true
		case !holds && math.IsNaN(burn):
			burn = p.LongBurn
		}
	}
	a.Summary = "SLO " + al.name + " is spending its error budget too fast"
	a.Description = fmt.Sprintf("SLO %s spends its error budget %s times as fast as its window allows (objective %s%%, window %s).",
		al.name, humanize(burn), num(al.cfg.Objective), al.shape.sp)
	return a
}

// humanize writes a burn rate as Prometheus' humanize does for the
// rules' description: 3 significant digits.
func humanize(v float64) string {
	if math.IsNaN(v) {
		return "no data"
	}
	return fmt.Sprintf("%.4g", v)
}

// Alerts returns every SLO's alerts as the last evaluation left them
// (page, then ticket, for each SLO in config order), for notifiers and
// pages. Before the first evaluation they hold the stored lifecycles.
func (e *Engine) Alerts() []Alert {
	snap := e.snap.Load()
	out := make([]Alert, 0, 2*len(snap.alerts))
	for _, al := range snap.alerts {
		al.mu.Lock()
		for k := range severities {
			a := al.last(k)
			a.Labels = maps.Clone(a.Labels)
			out = append(out, a)
		}
		al.mu.Unlock()
	}
	return out
}

// WatchAlerts evaluates the alerts every interval until ctx is done,
// handing the transitions of each evaluation that has any to fn.
func (e *Engine) WatchAlerts(ctx context.Context, every time.Duration, fn func([]Transition)) {
	evaluate := func(time.Time) {
		if ts := e.EvaluateAlerts(); len(ts) > 0 && fn != nil {
			fn(ts)
		}
	}
	evaluate(time.Time{})
	times.Every(ctx, every, evaluate)
}

// logTransition writes the one line of a transition: what changed, the
// burn rates of every window pair, the runbook and the top reasons.
func logTransition(log *slog.Logger, t Transition) {
	level, msg := slog.LevelInfo, "alert "+t.State.String()
	switch t.State {
	case AlertFiring:
		level = slog.LevelWarn
	case AlertInactive:
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{slog.String("alertname", t.Name)}
	if t.SLO != "" {
		attrs = append(attrs, slog.String("slo", t.SLO))
	}
	if t.Probe != "" {
		attrs = append(attrs, slog.String("probe", t.Probe))
	}
	attrs = append(attrs, slog.String("severity", t.Severity), slog.String("from", t.From.String()))
	if len(t.Conditions) > 0 {
		attrs = append(attrs, slog.String("burn_rates", burnText(t.Conditions)))
	}
	if t.Probe != "" {
		attrs = append(attrs, slog.Int("consecutive_failures", t.Failures))
	}
	switch t.State {
	case AlertFiring:
		if !t.ActiveSince.Equal(t.FiringSince) {
			attrs = append(attrs, slog.Duration("pending_for", t.FiringSince.Sub(t.ActiveSince)))
		}
	case AlertResolved:
		attrs = append(attrs, slog.Duration("fired_for", t.ResolvedAt.Sub(t.FiringSince)))
	}
	if t.RunbookURL != "" {
		attrs = append(attrs, slog.String("runbook_url", t.RunbookURL))
	}
	if len(t.Reasons) > 0 {
		attrs = append(attrs, slog.String("reasons", ReasonsText(t.Reasons)))
	}
	log.LogAttrs(context.Background(), level, msg, attrs...)
}

// burnText writes each window pair as "1h=20.1,5m=21.3>14.4", the pairs
// that hold marked with a star.
func burnText(cs []AlertCondition) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s,%s=%s>%s", fmtDur(c.LongWindow), humanize(c.LongBurn), fmtDur(c.ShortWindow), humanize(c.ShortBurn), num(c.Factor))
		if c.Firing {
			b.WriteByte('*')
		}
	}
	return b.String()
}
