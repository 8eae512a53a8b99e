// Package slo turns probe runs into service level objectives: it keeps good
// and total counts per time slice aligned to UTC, computes SLIs, burn rates,
// error budgets and multi-window multi-burn-rate alert states as in the SRE
// Workbook, persists the counts in a crash-safe store, exports them as
// Prometheus metrics and generates Prometheus rules that aggregate many
// agents the same way.
//
// Counts, not budgets, are kept, in tiers: minute slots for the last six
// hours (so the page alerts' windows are exact to the minute), quarter-hour
// slots for three days (the ticket alerts' windows) and hour slots for the
// rest of a rolling window; a calendar window keeps quarter hours for the
// whole period, so that a period starting at a quarter past is exact. A
// window that starts inside a coarser slot takes the share of its runs
// that falls in the window, as if they were spread evenly over the slot:
// the 1d and 3d windows are exact up to the runs of one quarter hour, a
// rolling SLO window up to the runs of one hour (1/720 of 30 days). A
// rolling 30-day SLO takes some 2.3 KiB with a run every quarter hour, each
// slot's count in as few bits as it needs.
//
// An Engine is built from the config's slos (NewEngine), fed every run
// (Observe), reconfigured on reload (Update), scraped (Collector) and shown
// (Status). Run flushes it to its Store at an interval and once more when
// its context ends; after a crash at most one interval of runs is lost.
package slo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // calendar windows need IANA zones on hosts without them (Windows)

	"github.com/sloagent/sloagent/internal/intdiv"
	"github.com/sloagent/sloagent/internal/times"
)

// Event is one probe run's outcome.
type Event struct {
	Probe    string
	Labels   map[string]string // the probe's labels, for probe_selector
	Time     time.Time         // when the run happened; zero means now
	Success  bool
	Duration time.Duration
	// Reason is a failed run's bounded failure reason (connect, timeout,
	// status_code, ...): alerts and incidents name the window's top
	// reasons. A successful run slower than the latency threshold counts
	// as ReasonSlow whatever it says.
	Reason string
}

// Engine holds the state of every configured SLO. Observe may be called
// from any number of goroutines; the other methods too.
type Engine struct {
	log   *slog.Logger
	clock func() time.Time
	store *Store

	snap atomic.Pointer[snapshot]
	mu   sync.Mutex // serialises Update and Flush

	labels labelCache // for Write

	// amu serialises alert evaluations and the swap of snapshots, so
	// that an SLO removed by Update is not evaluated afterwards; retired
	// holds the transitions of alerts of removed SLOs, for the next
	// evaluation to report.
	amu     sync.Mutex
	retired []Transition

	// changed is how many slots the last flush wrote: the next one's
	// list is made that size at once. The list itself is not kept
	// between flushes (1 MB at 10,000 SLOs, 2 MB of resident size).
	changed int
	shapes  shapes // shared by states configured alike; under mu
}

// snapshot is one configuration's SLOs, swapped as a whole on Update so
// Observe never waits for a reload.
type snapshot struct {
	slos   []*state
	alerts []*sloAlerts // each SLO's alerting state, as slos
	cfgs   []Config     // copies of the states' configs, for matching without locks
	names  []string     // the SLOs' names, as slos
	cfgPtr []*Config    // &cfgs[i], for matches to share
	// byProbe lists the SLOs naming each probe, selectors those with a
	// probe selector, so that a probe's first run does not try every SLO.
	byProbe   map[string][]int
	selectors []int
	// Without selectors a probe's SLOs follow from its name alone: named
	// holds each named probe's match, built once, and no probe needs an
	// entry in cache (some 250 bytes a probe at 10,000 probes).
	named map[string]*match
	cache sync.Map // probe name -> *match, with selectors
}

// index fills byProbe and selectors, and named when there are no
// selectors.
func (s *snapshot) index() {
	s.byProbe = map[string][]int{}
	s.names = make([]string, len(s.cfgs))
	s.cfgPtr = make([]*Config, len(s.cfgs))
	for i := range s.cfgs {
		s.names[i], s.cfgPtr[i] = s.cfgs[i].Name, &s.cfgs[i]
		for _, p := range s.cfgs[i].Probes {
			if l := s.byProbe[p]; len(l) == 0 || l[len(l)-1] != i {
				s.byProbe[p] = append(l, i)
			}
		}
		if len(s.cfgs[i].ProbeSelector) > 0 {
			s.selectors = append(s.selectors, i)
		}
	}
	if len(s.selectors) > 0 {
		return
	}
	s.named = make(map[string]*match, len(s.byProbe))
	for p := range s.byProbe {
		s.named[p] = s.build(p, nil)
	}
	s.byProbe = nil
}

// match is the SLOs a probe's runs count towards, in config order. Its
// slices are shared, mostly parts of the snapshot's own.
type match struct {
	labels map[string]string
	slos   []*state
	alerts []*sloAlerts
	cfgs   []*Config
	names  []string
	// latency is the lowest latency threshold of the SLOs (0: none).
	latency time.Duration
}

// noMatch is the match of a probe no SLO counts; never changed.
var noMatch match

// NewEngine builds the SLOs of cfgs (which must have passed Validate) with
// the history found in store. store may be nil to keep nothing on disk;
// clock nil means time.Now.
func NewEngine(cfgs []Config, store *Store, clock func() time.Time, log *slog.Logger) (*Engine, error) {
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{log: log, clock: clock, store: store, shapes: shapes{}}
	e.snap.Store(&snapshot{})
	if err := e.Update(cfgs); err != nil {
		return nil, err
	}
	return e, nil
}

// Update applies a new configuration. SLOs that stay keep their history
// (a changed objective is recomputed from it); removed SLOs are flushed and
// their history stays in the store for RemovedRetention. On error the
// running configuration is kept.
func (e *Engine) Update(cfgs []Config) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := intdiv.Floor(e.clock().Unix(), 60)
	old := e.snap.Load()
	byName := map[string]*state{}
	for _, st := range old.slos {
		byName[st.name] = st
	}
	// Check first, so that a bad config changes nothing.
	seen := map[string]bool{}
	for i := range cfgs {
		if seen[cfgs[i].Name] {
			return fmt.Errorf("duplicate SLO name %q", cfgs[i].Name)
		}
		seen[cfgs[i].Name] = true
		if _, err := newSpan(cfgs[i].Window); err != nil {
			return fmt.Errorf("slo %q: %w", cfgs[i].Name, err)
		}
	}
	alertsByName := map[string]*sloAlerts{}
	for _, al := range old.alerts {
		alertsByName[al.name] = al
	}
	// The states point into next.cfgs, which is never changed.
	next := &snapshot{cfgs: slices.Clone(cfgs)}
	var fresh []*state
	for i := range next.cfgs {
		cfg := &next.cfgs[i]
		al := alertsByName[cfg.Name]
		if al == nil {
			al = e.openAlerts(cfg.Name)
		}
		next.alerts = append(next.alerts, al)
		if st := byName[cfg.Name]; st != nil {
			st.mu.Lock()
			err := st.configure(cfg, now, e.shapes)
			st.mu.Unlock()
			if err != nil {
				return fmt.Errorf("slo %q: %w", cfg.Name, err)
			}
			next.slos = append(next.slos, st)
			continue
		}
		st, err := newState(cfg, now, e.shapes)
		if err != nil {
			return fmt.Errorf("slo %q: %w", cfg.Name, err)
		}
		fresh = append(fresh, st)
		next.slos = append(next.slos, st)
	}
	e.restore(fresh, now)
	e.shapes.keep(next.slos)
	next.index()
	e.amu.Lock()
	e.snap.Store(next)
	var removed []*state
	var removedAlerts []*sloAlerts
	for name, st := range byName {
		if !seen[name] {
			removed = append(removed, st)
		}
	}
	for name, al := range alertsByName {
		if !seen[name] {
			removedAlerts = append(removedAlerts, al)
		}
	}
	e.retire(removedAlerts)
	e.amu.Unlock()
	if len(removed) > 0 {
		if err := e.flush(removed, e.clock(), true); err != nil {
			e.log.Warn("flushing removed SLOs failed; their last minutes are lost", "err", err)
		}
	}
	return nil
}

// restore gives new states (at minute now) the history the store holds.
func (e *Engine) restore(fresh []*state, now int64) {
	if e.store == nil || len(fresh) == 0 {
		return
	}
	if err := e.store.restore(fresh, now); err != nil {
		e.log.Error("reading SLO history failed; starting the new SLOs without it", "err", err)
		for _, st := range fresh {
			st.beginRestore(now)
			st.endRestore(noHead, now)
		}
	}
	e.store.release()
}

// Observe counts a run towards every SLO its probe belongs to. It takes
// constant time per matching SLO.
func (e *Engine) Observe(ev Event) {
	snap := e.snap.Load()
	if len(snap.slos) == 0 {
		return // nothing to count, nor to remember per probe
	}
	m := snap.matchOf(ev.Probe, ev.Labels)
	if len(m.slos) == 0 {
		return
	}
	now := e.clock()
	if ev.Time.IsZero() {
		ev.Time = now
	}
	nowMin := intdiv.Floor(now.Unix(), 60)
	for i, st := range m.slos {
		st.observe(&ev, nowMin)
		cfg := m.cfgs[i]
		if !ev.Success || ev.Duration > cfg.LatencyThreshold.D() && cfg.LatencyThreshold > 0 {
			m.alerts[i].noteBad(&ev, cfg)
		}
	}
}

// SLOsOf returns the names of the SLOs a run of the probe with labels
// counts towards, in config order. The slice is shared: do not change it.
func (e *Engine) SLOsOf(probe string, labels map[string]string) []string {
	snap := e.snap.Load()
	if len(snap.slos) == 0 {
		return nil
	}
	return snap.matchOf(probe, labels).names
}

// LatencyThreshold returns the lowest latency threshold of the SLOs a
// run of the probe with labels counts towards, 0 if none has one: a run
// that passes but takes longer is bad for that SLO.
func (e *Engine) LatencyThreshold(probe string, labels map[string]string) time.Duration {
	snap := e.snap.Load()
	if len(snap.slos) == 0 {
		return 0
	}
	return snap.matchOf(probe, labels).latency
}

// matchOf returns the SLOs of a probe with labels, from the cache.
func (snap *snapshot) matchOf(probe string, labels map[string]string) *match {
	if snap.named != nil || snap.byProbe == nil {
		if m := snap.named[probe]; m != nil {
			return m
		}
		return &noMatch
	}
	var m *match
	if v, ok := snap.cache.Load(probe); ok {
		m = v.(*match)
	}
	if m == nil || !maps.Equal(m.labels, labels) {
		m = snap.build(probe, labels)
		snap.cache.Store(probe, m)
	}
	return m
}

// build finds the SLOs of a probe with labels: those naming the probe and
// those selecting it by labels, in config order. SLOs next to each other
// in the config (every probe with one SLO) share the snapshot's slices.
func (snap *snapshot) build(probe string, labels map[string]string) *match {
	m := &match{labels: maps.Clone(labels)}
	var found []int
	named, sel := snap.byProbe[probe], snap.selectors
	for len(named) > 0 || len(sel) > 0 {
		var i int
		switch {
		case len(sel) == 0 || len(named) > 0 && named[0] <= sel[0]:
			i, named = named[0], named[1:]
			if len(sel) > 0 && sel[0] == i {
				sel = sel[1:]
			}
		default:
			i, sel = sel[0], sel[1:]
		}
		if snap.cfgs[i].Matches(probe, labels) {
			found = append(found, i)
			if lt := snap.cfgs[i].LatencyThreshold.D(); lt > 0 && (m.latency == 0 || lt < m.latency) {
				m.latency = lt
			}
		}
	}
	if len(found) == 0 {
		return m
	}
	if lo, hi := found[0], found[len(found)-1]+1; hi-lo == len(found) {
		m.slos, m.alerts = snap.slos[lo:hi:hi], snap.alerts[lo:hi:hi]
		m.cfgs, m.names = snap.cfgPtr[lo:hi:hi], snap.names[lo:hi:hi]
		return m
	}
	for _, i := range found {
		m.slos = append(m.slos, snap.slos[i])
		m.alerts = append(m.alerts, snap.alerts[i])
		m.cfgs = append(m.cfgs, snap.cfgPtr[i])
		m.names = append(m.names, snap.names[i])
	}
	return m
}

// Status returns every SLO's state now, in config order, with the budget
// chart.
func (e *Engine) Status() []Status {
	now := e.clock()
	snap := e.snap.Load()
	out := make([]Status, 0, len(snap.slos))
	for i, st := range snap.slos {
		s := st.status(now, true)
		al := snap.alerts[i]
		al.mu.Lock()
		for k := range s.Alerts {
			s.Alerts[k].Lifecycle = al.lifecycle(sevIndex(s.Alerts[k].Severity))
		}
		al.mu.Unlock()
		out = append(out, s)
	}
	return out
}

// Flush writes every change since the last flush to the store.
func (e *Engine) Flush() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.flush(e.snap.Load().slos, e.clock(), false)
}

// Close flushes. The store is closed by whoever opened it.
func (e *Engine) Close() error { return e.Flush() }

// Run flushes every interval until ctx is done, then flushes a last time.
func (e *Engine) Run(ctx context.Context, interval time.Duration) error {
	times.Every(ctx, max(interval, MinFlushInterval), func(time.Time) {
		if err := e.Flush(); err != nil {
			e.log.Error("flushing SLO state failed", "err", err)
		}
	})
	return e.Flush()
}

// flush writes the changes of slos: every configured SLO, or with removed
// those just removed.
func (e *Engine) flush(slos []*state, now time.Time, removed bool) error {
	if e.store == nil {
		return nil
	}
	batches := make([]batch, 0, len(slos))
	cells := make([]slotCount, 0, e.changed+e.changed/8)
	for _, st := range slos {
		var b batch
		b, cells = st.takeDirty(cells)
		batches = append(batches, b)
	}
	e.changed = len(cells)
	err := e.store.write(batches, now, removed)
	if err != nil {
		for i, st := range slos {
			st.remark(batches[i])
		}
		return errors.Join(errors.New("writing SLO state"), err)
	}
	e.store.release()
	return nil
}
