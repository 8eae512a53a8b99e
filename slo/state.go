package slo

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sloagent/sloagent/internal/intdiv"
)

// state is one SLO's history and configuration. Its mutex guards
// everything but the counters, which are read without it on scrape.
type state struct {
	name string

	mu sync.Mutex
	// cfg is the engine's snapshot's copy, which is never changed; shape
	// is shared with the SLOs configured alike: both read only.
	cfg      *Config
	shape    *shape
	budget   Budget // 1 - cfg.Objective
	sliceMin int64  // timeslice length in minutes; 0 for occurrences

	raw *series // runs per slice
	// For timeslices: the judged slices (one per slice with runs, good or
	// bad) stored at each slice's first minute. A slice's runs are summed
	// from the minute tier when one of them is counted, so runs of slices
	// the minute tier no longer holds, or before sliceFloor (judged before
	// a reload), no longer change their judgement.
	slices     *series
	sliceFloor int64

	cache windowCache // the windows' counts at the last minute asked for

	events, good, dropped atomic.Uint64
}

// condition is one window pair of a multi-window alert, by the windows'
// places in state.windows.
type condition struct {
	severity    string
	long, short int
	factor      float64
}

// Tier spans: minutes cover the short windows up to fineSpan (the page
// alerts' windows), quarter hours the windows up to coarseSpan (the ticket
// alerts'), hours the rest of a rolling window. A calendar window takes
// quarter hours for the whole period, so that periods starting at a
// quarter past (Asia/Kathmandu) stay exact.
const (
	fineSpan   = 6 * time.Hour
	coarseSpan = 3 * 24 * time.Hour
)

// geometry returns the slot counts of the minute, quarter-hour and hour
// tiers a configuration needs, each with an hour to spare (and the skew
// allowance) so that the next coarser tier takes over at a slot boundary.
func geometry(windows []time.Duration, sp span) []int {
	longest := windows[len(windows)-1]
	slots := func(d, per time.Duration) int { return int((d + per - 1) / per) }
	ns := []int{
		slots(min(longest, fineSpan), time.Minute) + 60 + maxSkew,
		slots(min(longest, coarseSpan), 15*time.Minute) + 4 + 1,
		slots(sp.longest(), time.Hour) + 1 + 1,
	}
	if sp.calendar != "" {
		ns[1], ns[2] = slots(sp.longest(), 15*time.Minute)+4+1, 0
	}
	return ns
}

// shape is what a state derives from its window and alerting config: the
// same for every SLO configured alike, so SLOs share one (at 10,000 SLOs,
// 6 MB of windows, names and alert conditions, and a time zone loaded
// once). It is never changed once built.
type shape struct {
	sp      span
	alerts  map[string][]BurnRateAlert
	windows []time.Duration // short windows, ascending
	mins    []int64         // the same in minutes
	names   []string        // the windows' names, then "slo"
	conds   []condition
	ns      []int // tier sizes
}

// shapes is the shapes in use, by window and alerting config.
type shapes map[string]*shape

// of returns the shape of cfg, building it when none is cached.
func (sh shapes) of(cfg *Config) (*shape, error) {
	key := fmt.Sprintf("%v|%v", cfg.Window, cfg.Alerting)
	if s := sh[key]; s != nil {
		return s, nil
	}
	sp, err := newSpan(cfg.Window)
	if err != nil {
		return nil, err
	}
	s := &shape{sp: sp, alerts: alertWindows(cfg.Alerting, sp)}
	s.windows = shortWindows(s.alerts, sp)
	s.ns = geometry(s.windows, sp)
	for _, d := range s.windows {
		s.names = append(s.names, fmtDur(d))
		s.mins = append(s.mins, int64(d/time.Minute))
	}
	s.names = append(s.names, "slo")
	for _, sev := range severities {
		for _, a := range s.alerts[sev] {
			s.conds = append(s.conds, condition{severity: sev, factor: a.BurnRate,
				long: slices.Index(s.windows, a.LongWindow.D()), short: slices.Index(s.windows, a.ShortWindow.D())})
		}
	}
	if sh != nil {
		sh[key] = s
	}
	return s, nil
}

// keep drops the shapes no state of slos uses.
func (sh shapes) keep(slos []*state) {
	used := map[*shape]bool{}
	for _, st := range slos {
		used[st.shape] = true
	}
	for k, s := range sh {
		if !used[s] {
			delete(sh, k)
		}
	}
}

// newState builds an empty state for cfg, which must be valid, at the
// minute now, sharing the shapes of sh (which may be nil).
func newState(cfg *Config, now int64, sh shapes) (*state, error) {
	st := &state{name: cfg.Name}
	if err := st.configure(cfg, now, sh); err != nil {
		return nil, err
	}
	return st, nil
}

// configure applies cfg, keeping the history: series are resized when the
// windows change and timeslices are judged again from the minute counts
// when the slice settings change. now is the current minute.
func (st *state) configure(cfg *Config, now int64, sh shapes) error {
	shp, err := sh.of(cfg)
	if err != nil {
		return err
	}
	ns := shp.ns
	var sliceMin int64
	if cfg.method() == Timeslices {
		sliceMin = int64(cfg.sliceLength() / time.Minute)
	}
	old := st.cfg
	st.cfg, st.shape = cfg, shp
	st.budget = NewBudget(cfg.Objective)
	st.cache.reset(len(shp.windows)+1, shp.sp.calendar != "")

	if st.raw == nil {
		st.raw = newSeries(ns)
	} else if !slices.Equal(st.raw.sizes(), ns) {
		st.raw = resize(st.raw, ns, now)
	}
	switch {
	case sliceMin == 0:
		st.slices = nil
	case st.slices == nil || old == nil || st.sliceMin != sliceMin || old.Timeslice.GoodThreshold != cfg.Timeslice.GoodThreshold:
		if st.slices == nil {
			st.slices = newSeries(ns)
		} else {
			st.slices = resize(st.slices, ns, now)
		}
		st.sliceMin = sliceMin
		st.rejudge(now)
	case !slices.Equal(st.slices.sizes(), ns):
		st.slices = resize(st.slices, ns, now)
		st.rejudge(now)
	}
	st.sliceMin = sliceMin
	return nil
}

// resize copies what fits of s into a series of the new sizes. A tier
// that grew holds every run only from where the old one reached.
func resize(s *series, ns []int, now int64) *series {
	n := newSeries(ns)
	for i := range n.tiers {
		nt := &n.tiers[i]
		nt.reset(intdiv.Floor(now+maxSkew, nt.per))
		var ot *tier
		for j := range s.tiers {
			if s.tiers[j].per == nt.per {
				ot = &s.tiers[j]
			}
		}
		if ot == nil {
			// A new hour tier: what the quarter hours hold, summed.
			ot = s.quarters()
			for idx := nt.head - nt.n + 1; idx <= nt.head; idx++ {
				c := n.sumTier(ot, idx*nt.per, idx*nt.per+nt.per-1)
				nt.set(idx, c)
				nt.markDirty(idx)
			}
			nt.since = ceilDiv(ot.first(now), nt.per) * nt.per
			continue
		}
		nt.since = max(ot.first(now), nt.first(now))
		for idx := nt.head - nt.n + 1; idx <= nt.head; idx++ {
			if ot.held(idx) {
				nt.set(idx, ot.get(idx))
				nt.markDirty(idx)
			}
		}
	}
	if oh := s.hours(); oh != nil && n.hours() == nil {
		// A calendar window now: the old hours fill in where quarter
		// hours are gone.
		n.quarters().since = math.MinInt64
		n.backfill(func(fn func(h int64, c counts)) {
			for h := oh.head - oh.n + 1; h <= oh.head; h++ {
				fn(h, oh.get(h))
			}
		})
	}
	return n
}

// sumTier adds the slots of t from minute from to minute to, which must
// be slot boundaries.
func (*series) sumTier(t *tier, from, to int64) counts {
	var c counts
	for idx := intdiv.Floor(from, t.per); idx <= intdiv.Floor(to, t.per); idx++ {
		c.add(t.get(idx))
	}
	return c
}

// rejudge rebuilds the timeslice judgements of every slice that starts in
// the minute tier from its minute counts. Older slices keep their
// judgement.
func (st *state) rejudge(now int64) {
	from := ceilDiv(st.raw.minutes().first(now), hourMin) * hourMin
	old := st.slices
	st.slices = newSeries(old.sizes())
	for i := range st.slices.tiers {
		t, ot := &st.slices.tiers[i], &old.tiers[i]
		t.reset(intdiv.Floor(now+maxSkew, t.per))
		if t.per == 1 {
			t.since = from
			continue
		}
		// Keep the slots before from; the rest is judged again.
		for idx := t.head - t.n + 1; idx < from/t.per; idx++ {
			t.set(idx, ot.get(idx))
			t.markDirty(idx)
		}
		for idx := from / t.per; idx <= t.head; idx++ {
			// Written even if left empty, so the store forgets
			// old judgements.
			t.markDirty(idx)
		}
	}
	st.sliceFloor = ceilDiv(from, st.sliceMin)
	for k := st.sliceFloor; k*st.sliceMin <= now+maxSkew; k++ {
		c := st.raw.sumTier(st.raw.minutes(), k*st.sliceMin, (k+1)*st.sliceMin-1)
		if g, t := st.judge(c); t > 0 {
			st.slices.add(k*st.sliceMin, now, g, t)
		}
	}
}

// judge returns a slice's contribution: nothing without runs, else one
// slice, good when the share of good runs reaches the threshold.
func (st *state) judge(c counts) (good, total int64) {
	if c.total == 0 {
		return 0, 0
	}
	if float64(c.good)/float64(c.total) >= st.cfg.Timeslice.GoodThreshold {
		return 1, 1
	}
	return 0, 1
}

// observe counts one run.
func (st *state) observe(ev *Event, now int64) {
	st.mu.Lock()
	if st.cfg.inMaintenance(ev.Time) {
		st.mu.Unlock()
		return
	}
	lt := st.cfg.LatencyThreshold.D()
	good := ev.Success && (lt == 0 || ev.Duration <= lt)
	g := int64(0)
	if good {
		g = 1
	}
	m := intdiv.Floor(ev.Time.Unix(), 60)
	ok := st.raw.add(m, now, g, 1)
	if ok {
		if st.sliceMin > 0 {
			st.observeSlice(m, now, g)
		} else {
			st.cache.bump(m, g, 1, st.shape.mins)
		}
	}
	st.mu.Unlock()
	st.events.Add(1)
	if good {
		st.good.Add(1)
	}
	if !ok {
		st.dropped.Add(1)
	}
}

// observeSlice judges again the slice of minute m, whose minute counts
// have just taken a run (g good).
func (st *state) observeSlice(m, now, g int64) {
	k := intdiv.Floor(m, st.sliceMin)
	if k < st.sliceFloor || k*st.sliceMin < st.raw.minutes().first(now) {
		return
	}
	c := st.raw.minutes().rangeSum(k*st.sliceMin, (k+1)*st.sliceMin-1)
	og, ot := st.judge(counts{c.good - uint64(g), c.total - 1})
	ng, nt := st.judge(c)
	if ng != og || nt != ot {
		if st.slices.add(k*st.sliceMin, now, ng-og, nt-ot) {
			st.cache.bump(k*st.sliceMin, ng-og, nt-ot, st.shape.mins)
		}
	}
}

// units is the series the SLI is computed over: runs, or judged slices.
func (st *state) units() *series {
	if st.slices != nil {
		return st.slices
	}
	return st.raw
}

// beginRestore empties the state's series before the store puts back its
// slots. The state is not yet in use: no lock is taken.
func (st *state) beginRestore(now int64) {
	st.raw.clearAt(now)
	if st.slices != nil {
		st.slices.clearAt(now)
	}
}

// restoreSlot puts back one stored slot of tag starting at minute m.
// Tiers are put back in the order of their tags, quarter hours before
// hours.
func (st *state) restoreSlot(tag byte, m int64, c counts) {
	switch tag {
	case tagFine:
		st.raw.putMinute(m, c)
	case tagCoarse:
		st.raw.putQuarter(m, c)
	case tagHours:
		st.raw.putHour(m, c)
	case tagSlices:
		if st.slices != nil {
			st.slices.putQuarter(m, c)
		}
	case tagSliceHours:
		if st.slices != nil {
			st.slices.putHour(m, c)
		}
	}
}

// endRestore finishes a restore at minute now. fineFrom is the first
// minute the stored minutes hold completely, or noHead when nothing was
// stored: before it the minute tier holds nothing, whatever this config's
// tier covers. Judged slices of the minutes held are judged again.
func (st *state) endRestore(fineFrom, now int64) {
	if fineFrom != noHead {
		st.raw.minutes().since = fineFrom
	}
	if st.slices != nil {
		st.rejudge(now)
	}
	st.cache.at = noHead
}

// takeDirty appends the slots changed since the last flush to cells and
// returns them in a batch with what the store keeps of the state's shape.
func (st *state) takeDirty(cells []slotCount) (batch, []slotCount) {
	st.mu.Lock()
	defer st.mu.Unlock()
	from := len(cells)
	put := func(tag byte, per int64) func(idx int64, c counts) {
		return func(idx int64, c counts) {
			cells = append(cells, slotCount{tag: tag, start: idx * per * fineSecs, c: c})
		}
	}
	st.raw.minutes().takeDirty(put(tagFine, 1))
	st.raw.quarters().takeDirty(put(tagCoarse, quarterMin))
	if h := st.raw.hours(); h != nil {
		h.takeDirty(put(tagHours, hourMin))
	}
	if st.slices != nil {
		st.slices.quarters().takeDirty(put(tagSlices, quarterMin))
		if h := st.slices.hours(); h != nil {
			h.takeDirty(put(tagSliceHours, hourMin))
		}
		// Judged minutes are judged again from the run counts on load.
		st.slices.minutes().takeDirty(func(int64, counts) {})
	}
	b := batch{name: st.name, fineSince: st.raw.minutes().since, slices: st.slices != nil, cells: cells[from:len(cells):len(cells)]}
	for i := range st.raw.tiers {
		b.sizes[i] = int32(st.raw.tiers[i].n)
	}
	return b, cells
}

// remark flags a batch that could not be written for the next flush.
func (st *state) remark(b batch) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, sc := range b.cells {
		m := intdiv.Floor(sc.start, fineSecs)
		switch sc.tag {
		case tagFine:
			st.raw.minutes().markDirty(m)
		case tagCoarse:
			st.raw.quarters().markDirty(m / quarterMin)
		case tagHours:
			st.raw.hours().markDirty(m / hourMin)
		case tagSlices:
			st.slices.quarters().markDirty(m / quarterMin)
		case tagSliceHours:
			st.slices.hours().markDirty(m / hourMin)
		}
	}
}
