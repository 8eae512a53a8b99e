package slo

import (
	"sync"
	"sync/atomic"
	"time"
)

// state is one SLO's history and configuration. Its mutex guards
// everything but the counters, which are read without it on scrape.
type state struct {
	name string

	mu       sync.Mutex
	cfg      Config
	sp       span
	alerts   map[string][]BurnRateAlert
	windows  []time.Duration // short windows, ascending
	sliceMin int64           // timeslice length in minutes; 0 for occurrences

	raw *series // runs per slice
	// For timeslices: per-slice counts of the recent slices (acc) and the
	// judged slices (slices: one per slice with runs, good or bad) stored
	// at each slice's first minute. sliceFloor is the first slice acc
	// holds; runs of older slices no longer change their judgement.
	slices     *series
	acc        []slot
	sliceFloor int64

	events, good, dropped atomic.Uint64
}

// maxFine is the most the minute tier covers; windows longer than that
// (the alert windows of SLO windows longer than 30 days) take their oldest
// part from quarter hours.
const maxFine = 3 * 24 * time.Hour

// geometry returns the slot counts a configuration needs: minutes covering
// the longest short window (at most maxFine) plus an hour, quarter hours
// covering the longest SLO window plus a day.
func geometry(windows []time.Duration, sp span) (fineN, coarseN int) {
	longest := min(windows[len(windows)-1], maxFine)
	fineN = int(longest/time.Minute) + 60 + maxSkew
	coarseN = int((sp.longest()+coarseSecs*time.Second-1)/(coarseSecs*time.Second)) + 96 + 2
	return fineN, coarseN
}

// newState builds an empty state for cfg, which must be valid, at the
// minute now.
func newState(cfg Config, now int64) (*state, error) {
	st := &state{name: cfg.Name}
	if err := st.configure(cfg, now); err != nil {
		return nil, err
	}
	return st, nil
}

// configure applies cfg, keeping the history: series are resized when the
// windows change and timeslices are judged again from the minute counts
// when the slice settings change. now is the current minute.
func (st *state) configure(cfg Config, now int64) error {
	sp, err := newSpan(cfg.Window)
	if err != nil {
		return err
	}
	alerts := alertWindows(cfg.Alerting, sp)
	windows := shortWindows(alerts, sp)
	fineN, coarseN := geometry(windows, sp)
	var sliceMin int64
	if cfg.method() == Timeslices {
		sliceMin = int64(cfg.sliceLength() / time.Minute)
	}
	old := st.cfg
	st.cfg, st.sp, st.alerts, st.windows = cfg, sp, alerts, windows

	if st.raw == nil {
		st.raw = newSeries(fineN, coarseN)
	} else if len(st.raw.fine.slots) != fineN || len(st.raw.coarse.slots) != coarseN {
		st.raw = resize(st.raw, fineN, coarseN, now)
	}
	switch {
	case sliceMin == 0:
		st.slices, st.acc = nil, nil
	case st.slices == nil || st.sliceMin != sliceMin || old.Timeslice.GoodThreshold != cfg.Timeslice.GoodThreshold:
		if st.slices == nil {
			st.slices = newSeries(fineN, coarseN)
		} else {
			st.slices = resize(st.slices, fineN, coarseN, now)
		}
		st.sliceMin = sliceMin
		st.rejudge(now)
	case len(st.slices.fine.slots) != fineN || len(st.slices.coarse.slots) != coarseN:
		st.slices = resize(st.slices, fineN, coarseN, now)
		st.rejudge(now)
	}
	st.sliceMin = sliceMin
	return nil
}

// resize copies what fits of s into a series of the new size.
func resize(s *series, fineN, coarseN int, now int64) *series {
	n := newSeries(fineN, coarseN)
	n.fineSince = s.fineStart(now)
	for _, sl := range s.fine.slots {
		if m := int64(sl.idx); m >= n.fineFrom(now) && m >= s.fineStart(now) && m <= now+maxSkew {
			n.fine.set(m, counts{uint64(sl.good), uint64(sl.total)})
			n.fine.markDirty(m)
		}
	}
	nowQ := floorDiv(now, finePerCoars)
	for _, sl := range s.coarse.slots {
		if q := int64(sl.idx); q > nowQ-int64(min(coarseN, len(s.coarse.slots)))+1 && q <= nowQ+1 {
			n.coarse.set(q, counts{uint64(sl.good), uint64(sl.total)})
			n.coarse.markDirty(q)
		}
	}
	return n
}

// rejudge rebuilds the timeslice judgements of every slice that starts in
// the fine tier from its minute counts. Older slices keep their judgement.
func (st *state) rejudge(now int64) {
	fineN, coarseN := len(st.raw.fine.slots), len(st.raw.coarse.slots)
	from := ceilDiv(st.raw.fineStart(now), finePerCoars) * finePerCoars
	old := st.slices
	st.slices = newSeries(fineN, coarseN)
	st.slices.fineSince = from
	// Keep the quarter hours before from; the rest is judged again.
	nowQ := floorDiv(now, finePerCoars)
	for _, sl := range old.coarse.slots {
		if q := int64(sl.idx); q < from/finePerCoars && q > nowQ-int64(coarseN)+1 {
			st.slices.coarse.set(q, counts{uint64(sl.good), uint64(sl.total)})
			st.slices.coarse.markDirty(q)
		}
	}
	for q := from / finePerCoars; q <= nowQ+1; q++ {
		// Written even if left empty, so the store forgets old judgements.
		st.slices.coarse.set(q, counts{})
		st.slices.coarse.markDirty(q)
	}
	st.acc = make([]slot, int64(fineN)/st.sliceMin+2)
	st.sliceFloor = ceilDiv(from, st.sliceMin)
	for k := st.sliceFloor; k*st.sliceMin <= now+maxSkew; k++ {
		c := st.raw.fine.sum(k*st.sliceMin, (k+1)*st.sliceMin-1)
		st.acc[floorMod(k, int64(len(st.acc)))] = slot{idx: int32(k), good: uint32(c.good), total: uint32(c.total)}
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
	m := floorDiv(ev.Time.Unix(), 60)
	ok := st.raw.add(m, now, g, 1)
	if ok && st.sliceMin > 0 {
		st.observeSlice(m, now, g)
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

func (st *state) observeSlice(m, now, g int64) {
	k := floorDiv(m, st.sliceMin)
	if k < st.sliceFloor || k*st.sliceMin < st.slices.fineStart(now) {
		return
	}
	a := &st.acc[floorMod(k, int64(len(st.acc)))]
	if int64(a.idx) != k {
		if int64(a.idx) > k && int64(a.idx) <= floorDiv(now+maxSkew, st.sliceMin) {
			return
		}
		*a = slot{idx: int32(k)}
	}
	c := counts{uint64(a.good), uint64(a.total)}
	og, ot := st.judge(c)
	a.good += uint32(g)
	a.total++
	ng, nt := st.judge(counts{uint64(a.good), uint64(a.total)})
	if ng != og || nt != ot {
		st.slices.add(k*st.sliceMin, now, ng-og, nt-ot)
	}
}

// units is the series the SLI is computed over: runs, or judged slices.
func (st *state) units() *series {
	if st.slices != nil {
		return st.slices
	}
	return st.raw
}

// takeDirty collects the slices changed since the last flush and the
// cutoffs before which stored slices are out of reach.
func (st *state) takeDirty(now time.Time) batch {
	st.mu.Lock()
	defer st.mu.Unlock()
	nowMin := floorDiv(now.Unix(), 60)
	b := batch{name: st.name, fine: map[int64]counts{}, coarse: map[int64]counts{}}
	st.raw.fine.takeDirty(func(idx int64, c counts) { b.fine[idx*fineSecs] = c })
	st.raw.coarse.takeDirty(func(idx int64, c counts) { b.coarse[idx*coarseSecs] = c })
	if st.slices != nil {
		b.slices = map[int64]counts{}
		st.slices.coarse.takeDirty(func(idx int64, c counts) { b.slices[idx*coarseSecs] = c })
		// Judged minutes are rebuilt from the run counts on load.
		st.slices.fine.takeDirty(func(int64, counts) {})
	}
	b.fineCutoff = st.raw.fineStart(nowMin) * fineSecs
	b.coarseCutoff = (floorDiv(nowMin, finePerCoars) - int64(len(st.raw.coarse.slots)) + 2) * coarseSecs
	return b
}

// remark flags a batch that could not be written for the next flush.
func (st *state) remark(b batch) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for start := range b.fine {
		st.raw.fine.markDirty(start / fineSecs)
	}
	for start := range b.coarse {
		st.raw.coarse.markDirty(start / coarseSecs)
	}
	if st.slices != nil {
		for start := range b.slices {
			st.slices.coarse.markDirty(start / coarseSecs)
		}
	}
}
