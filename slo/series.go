package slo

import (
	"math"
	"math/bits"
)

// Slots are aligned to UTC (Unix time), so that the counts of two agents,
// or of the agent before and after a restart, add up slot by slot. Times
// inside the package are minutes since the Unix epoch.
const (
	fineSecs   = 60  // minute slots, the finest tier
	coarseSecs = 900 // quarter-hour slots, the tier the store keeps for the whole window
	quarterMin = coarseSecs / fineSecs
	hourMin    = 60
	// maxSkew is how far (in minutes) an event may lie in the future of the
	// engine's clock and still count: probe hosts' clocks are not ours.
	maxSkew = 2
)

// counts is a number of good and of all events (or slices).
type counts struct{ good, total uint64 }

func (c *counts) add(o counts) { c.good += o.good; c.total += o.total }

// cell is one slot's counts.
type cell struct{ good, total uint32 }

// tier is a ring of slots of per minutes each. It holds the slots head-n+1
// to head (numbered from the epoch), so a slot needs no number of its own:
// moving the head on clears the slots it passes.
type tier struct {
	per   int64 // minutes per slot
	cells []cell
	head  int64
	// since is the first minute the tier holds every run of: after the
	// tier grows (a reload, a restart with a longer window) the minutes
	// before it are only in a coarser tier.
	since int64
	dirty []uint64 // one bit per slot changed since the last flush
}

// noHead is the head of an empty tier: every slot number is after it and
// head-n does not overflow.
const noHead = math.MinInt64 / 4

func newTier(per int64, n int) tier {
	return tier{per: per, cells: make([]cell, n), head: noHead, since: math.MinInt64, dirty: make([]uint64, (n+63)/64)}
}

func (t *tier) n() int64 { return int64(len(t.cells)) }

func (t *tier) pos(idx int64) int { return int(floorMod(idx, t.n())) }

// held reports whether slot idx is in the ring.
func (t *tier) held(idx int64) bool { return idx <= t.head && idx > t.head-t.n() }

// advance moves the head on to idx, clearing the slots it passes.
func (t *tier) advance(idx int64) {
	if idx-t.head >= t.n() {
		clear(t.cells)
	} else {
		for i := t.head + 1; i <= idx; i++ {
			t.cells[t.pos(i)] = cell{}
		}
	}
	t.head = idx
}

// rewind moves the head back to limit after the clock went back: the slots
// after limit were written at times that have not come yet.
func (t *tier) rewind(limit int64) {
	if t.head-limit >= t.n() {
		clear(t.cells)
	} else {
		for i := limit + 1; i <= t.head; i++ {
			t.cells[t.pos(i)] = cell{}
		}
	}
	t.head = limit
}

// add changes the counts of slot idx, given limit, the newest slot the
// clock allows. It reports false when the slot is out of the ring's reach.
func (t *tier) add(idx, limit int64, dg, dt int64) bool {
	if t.head > limit && !t.held(idx) {
		t.rewind(limit)
	}
	if idx > t.head {
		t.advance(idx)
	} else if !t.held(idx) {
		return false
	}
	p := t.pos(idx)
	c := &t.cells[p]
	c.good = uint32(int64(c.good) + dg)
	c.total = uint32(int64(c.total) + dt)
	if t.dirty != nil {
		t.dirty[p/64] |= 1 << (p % 64)
	}
	return true
}

// reset empties the ring with its head at head.
func (t *tier) reset(head int64) {
	clear(t.cells)
	clear(t.dirty)
	t.head = head
}

// set stores counts loaded from disk; idx must be held.
func (t *tier) set(idx int64, c counts) {
	t.cells[t.pos(idx)] = cell{uint32(c.good), uint32(c.total)}
}

func (t *tier) get(idx int64) counts {
	if !t.held(idx) {
		return counts{}
	}
	c := t.cells[t.pos(idx)]
	return counts{uint64(c.good), uint64(c.total)}
}

// first is the oldest minute the tier holds every run of, for queries at
// minute now: the ring reaches back from its head or from now, whichever
// is later (any later run would have moved the head on).
func (t *tier) first(now int64) int64 {
	limit := floorDiv(now+maxSkew, t.per)
	return max((max(t.head, limit)-t.n()+1)*t.per, t.since)
}

// takeDirty calls fn for every slot changed since the last call.
func (t *tier) takeDirty(fn func(idx int64, c counts)) {
	for w, bitsw := range t.dirty {
		for bitsw != 0 {
			b := bits.TrailingZeros64(bitsw)
			bitsw &^= 1 << b
			p := int64(w*64 + b)
			idx := t.head - floorMod(t.head-p, t.n())
			c := t.cells[p]
			fn(idx, counts{uint64(c.good), uint64(c.total)})
		}
		t.dirty[w] = 0
	}
}

// markDirty flags slot idx for the next flush again (after a failed write).
func (t *tier) markDirty(idx int64) {
	if t.dirty != nil && t.held(idx) {
		p := t.pos(idx)
		t.dirty[p/64] |= 1 << (p % 64)
	}
}

// series is counts in tiers of growing slot length, finest first: minutes
// for the short windows (exact to the minute), quarter hours for the days
// after, and for long rolling windows hours back to the window's start.
// Every event goes into every tier, so a query takes each stretch of time
// from the finest tier that still holds it.
type series struct {
	tiers []tier // minute, quarter hour and possibly hour
}

func newSeries(ns []int) *series {
	s := &series{}
	for i, n := range ns {
		if n > 0 {
			s.tiers = append(s.tiers, newTier([]int64{1, quarterMin, hourMin}[i], n))
		}
	}
	return s
}

func (s *series) minutes() *tier  { return &s.tiers[0] }
func (s *series) quarters() *tier { return &s.tiers[1] }

// hours is the hour tier, or nil (calendar windows).
func (s *series) hours() *tier {
	if len(s.tiers) < 3 {
		return nil
	}
	return &s.tiers[2]
}

// sizes is the slot count of every tier, as newSeries takes them.
func (s *series) sizes() []int {
	ns := make([]int, 3)
	for i := range s.tiers {
		ns[i] = len(s.tiers[i].cells)
	}
	return ns
}

// add counts dg good of dt events in the minute m, given the current
// minute now. An event is kept when the quarter-hour tier, which the store
// keeps, reaches it; add reports false for events too old for it or too
// far in the future.
func (s *series) add(m, now int64, dg, dt int64) bool {
	if m > now+maxSkew {
		return false
	}
	limit := now + maxSkew
	q := s.quarters()
	if !q.add(floorDiv(m, quarterMin), floorDiv(limit, quarterMin), dg, dt) {
		return false
	}
	for i := range s.tiers {
		if t := &s.tiers[i]; t.per != quarterMin {
			t.add(floorDiv(m, t.per), floorDiv(limit, t.per), dg, dt)
		}
	}
	return true
}

// fill replaces the series' counts with stored blocks where the tiers
// reach them: minutes into the minute tier, quarter hours into the
// quarter-hour tier and, summed, into the hour tier, which takes stored
// hours where it has them (quarter hours may have left the ring unwritten
// when no flush happened for days, and are kept for days only).
func (s *series) fill(fine, coarse, hours []block, now int64) {
	for i := range s.tiers {
		t := &s.tiers[i]
		t.reset(floorDiv(now+maxSkew, t.per))
		src := coarse
		if t.per == 1 {
			src = fine
		}
		for _, b := range src {
			b.each(func(start int64, c counts) {
				if idx := floorDiv(floorDiv(start, fineSecs), t.per); t.held(idx) {
					p := &t.cells[t.pos(idx)]
					p.good += uint32(c.good)
					p.total += uint32(c.total)
				}
			})
		}
	}
	each := func(fn func(h int64, c counts)) {
		for _, b := range hours {
			b.each(func(start int64, c counts) { fn(floorDiv(start, 3600), c) })
		}
	}
	t := s.hours()
	if t == nil {
		s.backfill(each)
		return
	}
	each(func(h int64, c counts) {
		if t.held(h) {
			t.set(h, c)
		}
	})
}

// backfill gives a series without hours (a calendar window) the runs of
// hours its quarter hours lack (the quarter hours of a rolling window are
// kept for days only), in each hour's first quarter hour: the history stays
// whole, exact to the hour.
func (s *series) backfill(hour func(fn func(h int64, c counts))) {
	q := s.quarters()
	hour(func(h int64, c counts) {
		have := s.sumTier(q, h*hourMin, h*hourMin+hourMin-1)
		if c.total <= have.total || c.good < have.good || !q.held(h*4) {
			return
		}
		p := &q.cells[q.pos(h*4)]
		p.good += uint32(c.good - have.good)
		p.total += uint32(c.total - have.total)
		q.markDirty(h * 4)
	})
}

// coverage is the oldest minute the series holds runs of.
func (s *series) coverage(now int64) int64 {
	return s.tiers[len(s.tiers)-1].first(now)
}

// bottom is the oldest minute tier i serves in a query from minute from:
// a finer tier serves back to the first boundary of the next coarser
// tier's slots it holds, so that the coarser one takes whole slots (but
// its oldest).
func (s *series) bottom(i int, from, now int64) int64 {
	first := s.tiers[i].first(now)
	if i+1 < len(s.tiers) {
		next := s.tiers[i+1].per
		first = ceilDiv(first, next) * next
	}
	return max(from, first)
}

// walk calls fn for the slots covering minutes from to to, newest first:
// minutes as far back as the minute tier holds them (down to a quarter
// hour's start), then quarter hours (down to an hour's start), then hours.
// lo and hi are the minutes of the slot inside the range, c the whole
// slot's counts and per its length. It stops when fn returns false.
func (s *series) walk(from, to, now int64, fn func(lo, hi int64, c counts, per int64) bool) {
	hi := to
	for i := range s.tiers {
		t := &s.tiers[i]
		lo := s.bottom(i, from, now)
		if lo > hi {
			continue
		}
		for idx := floorDiv(hi, t.per); idx >= floorDiv(lo, t.per); idx-- {
			a, z := max(idx*t.per, lo), min(idx*t.per+t.per-1, hi)
			if !fn(a, z, t.get(idx), t.per) {
				return
			}
		}
		hi = lo - 1
		if hi < from {
			return
		}
	}
}

// share is the part of a slot's counts that falls in k of its per minutes,
// rounded: runs are taken as spread evenly over a slot that a window
// covers only in part.
func share(c counts, k, per int64) counts {
	if k >= per {
		return c
	}
	r := func(v uint64) uint64 { return (2*v*uint64(k) + uint64(per)) / (2 * uint64(per)) }
	return counts{r(c.good), r(c.total)}
}

// sum returns the counts from minute from to minute to (both included).
func (s *series) sum(from, to, now int64) counts {
	var c counts
	s.walk(from, to, now, func(lo, hi int64, sc counts, per int64) bool {
		c.add(share(sc, hi-lo+1, per))
		return true
	})
	return c
}

// sums returns the counts from every starts[i] up to now (now included);
// starts must be in descending order. It gives what sum gives for each
// start, in one pass over the slots, adding runs of whole slots in a
// tight loop: this is what a scrape costs once a minute per SLO.
func (s *series) sums(now int64, starts []int64, out []counts) {
	if len(starts) == 0 {
		return
	}
	from := starts[len(starts)-1]
	var acc counts
	j := 0
	hi := now
	for i := range s.tiers {
		t := &s.tiers[i]
		lo := s.bottom(i, from, now)
		if lo > hi {
			continue
		}
		// done is the oldest slot added to acc so far.
		done := floorDiv(hi, t.per) + 1
		if top := done - 1; (hi+1)%t.per != 0 || top*t.per < lo {
			// The newest slot is only partly in the range.
			c := t.get(top)
			a := max(top*t.per, lo)
			for ; j < len(starts) && starts[j] >= a; j++ {
				out[j] = acc
				out[j].add(share(c, hi-starts[j]+1, t.per))
			}
			acc.add(share(c, hi-a+1, t.per))
			done = top
		}
		for ; j < len(starts) && starts[j] >= lo; j++ {
			q := floorDiv(starts[j], t.per)
			acc.add(t.rangeSum(q+1, done-1))
			done = q + 1
			out[j] = acc
			out[j].add(share(t.get(q), q*t.per+t.per-starts[j], t.per))
		}
		if lo > from {
			acc.add(t.rangeSum(floorDiv(lo, t.per), done-1))
		} else {
			break
		}
		hi = lo - 1
	}
	for ; j < len(starts); j++ {
		out[j] = acc
	}
}

// rangeSum adds the slots a to b, both included.
func (t *tier) rangeSum(a, b int64) counts {
	a, b = max(a, t.head-t.n()+1), min(b, t.head)
	var g, n uint64
	if a > b {
		return counts{}
	}
	p := t.pos(a)
	for k := b - a; k >= 0; k-- {
		c := t.cells[p]
		g += uint64(c.good)
		n += uint64(c.total)
		if p++; p == len(t.cells) {
			p = 0
		}
	}
	return counts{g, n}
}

// each calls fn in time order for every slot from minute from to minute
// to, with its first minute, its length in minutes and its counts (a
// share of them for a slot partly in the range): the slots walk visits,
// oldest first.
func (s *series) each(from, to, now int64, fn func(m, n int64, c counts)) {
	type part struct {
		t      *tier
		lo, hi int64
	}
	var parts [3]part
	k := 0
	hi := to
	for i := range s.tiers {
		lo := s.bottom(i, from, now)
		if lo > hi {
			continue
		}
		parts[k] = part{&s.tiers[i], lo, hi}
		k++
		if hi = lo - 1; hi < from {
			break
		}
	}
	for k--; k >= 0; k-- {
		p := parts[k]
		for idx := floorDiv(p.lo, p.t.per); idx <= floorDiv(p.hi, p.t.per); idx++ {
			a, z := max(idx*p.t.per, p.lo), min(idx*p.t.per+p.t.per-1, p.hi)
			fn(a, z-a+1, share(p.t.get(idx), z-a+1, p.t.per))
		}
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
