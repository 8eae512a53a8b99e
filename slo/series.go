package slo

import (
	"iter"

	"github.com/sloagent/sloagent/internal/intdiv"
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

// series is counts in tiers of growing slot length, finest first: minutes
// for the short windows (exact to the minute), quarter hours for the days
// after, and for long rolling windows hours back to the window's start.
// Every event goes into every tier, so a query takes each stretch of time
// from the finest tier that still holds it.
type series struct {
	tiers []tier // minute, quarter hour and possibly hour: own[:2] or own[:3]
	own   [3]tier
}

func newSeries(ns []int) *series {
	s := &series{}
	for i, n := range ns {
		if n > 0 {
			s.own[len(s.tiers)] = newTier([]int64{1, quarterMin, hourMin}[i], n)
			s.tiers = s.own[:len(s.tiers)+1]
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
		ns[i] = int(s.tiers[i].n)
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
	if !q.add(intdiv.Floor(m, quarterMin), intdiv.Floor(limit, quarterMin), dg, dt) {
		return false
	}
	for i := range s.tiers {
		if t := &s.tiers[i]; t.per != quarterMin {
			t.add(intdiv.Floor(m, t.per), intdiv.Floor(limit, t.per), dg, dt)
		}
	}
	return true
}

// clearAt empties every tier with its head at the minute now, before
// stored slots are put back.
func (s *series) clearAt(now int64) {
	for i := range s.tiers {
		t := &s.tiers[i]
		t.reset(intdiv.Floor(now+maxSkew, t.per))
	}
}

// putMinute puts back the stored counts of minute m, where the minute tier
// holds it.
func (s *series) putMinute(m int64, c counts) {
	if t := s.minutes(); t.held(m) {
		t.plus(m, c)
	}
}

// putQuarter puts back the stored counts of the quarter hour starting at
// minute m into the quarter-hour tier and, summed, into the hour tier.
func (s *series) putQuarter(m int64, c counts) {
	for i := 1; i < len(s.tiers); i++ {
		if t := &s.tiers[i]; t.held(intdiv.Floor(m, t.per)) {
			t.plus(intdiv.Floor(m, t.per), c)
		}
	}
}

// putHour puts back the stored counts of the hour starting at minute m,
// after every quarter hour: they replace the quarter hours' sum (quarter
// hours may have left the ring unwritten when no flush happened for days,
// and are kept for days only). A series without hours (a calendar window)
// takes what its quarter hours lack of them.
func (s *series) putHour(m int64, c counts) {
	h := intdiv.Floor(m, hourMin)
	if t := s.hours(); t != nil {
		if t.held(h) {
			t.set(h, c)
		}
		return
	}
	s.backfillHour(h, c)
}

// backfill gives a series without hours (a calendar window) the runs of
// hours its quarter hours lack (the quarter hours of a rolling window are
// kept for days only), in each hour's first quarter hour: the history stays
// whole, exact to the hour.
func (s *series) backfill(hour func(fn func(h int64, c counts))) {
	hour(s.backfillHour)
}

// backfillHour gives hour h the runs c of it that its quarter hours lack.
func (s *series) backfillHour(h int64, c counts) {
	q := s.quarters()
	have := s.sumTier(q, h*hourMin, h*hourMin+hourMin-1)
	if c.total <= have.total || c.good < have.good || !q.held(h*4) {
		return
	}
	q.plus(h*4, counts{c.good - have.good, c.total - have.total})
	q.markDirty(h * 4)
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

// tierSpan is the part of a query that one tier serves: minutes lo to hi.
type tierSpan struct {
	t      *tier
	lo, hi int64
}

// spans yields the tiers that serve minutes from to to, newest first:
// minutes as far back as the minute tier holds them (down to a quarter
// hour's start), then quarter hours (down to an hour's start), then hours.
func (s *series) spans(from, to, now int64) iter.Seq[tierSpan] {
	return func(yield func(tierSpan) bool) {
		hi := to
		for i := range s.tiers {
			lo := s.bottom(i, from, now)
			if lo > hi {
				continue
			}
			if !yield(tierSpan{&s.tiers[i], lo, hi}) || lo <= from {
				return
			}
			hi = lo - 1
		}
	}
}

// walk calls fn for the slots covering minutes from to to, newest first.
// lo and hi are the minutes of the slot inside the range, c the whole
// slot's counts and per its length. It stops when fn returns false.
func (s *series) walk(from, to, now int64, fn func(lo, hi int64, c counts, per int64) bool) {
	for sp := range s.spans(from, to, now) {
		t := sp.t
		for idx := intdiv.Floor(sp.hi, t.per); idx >= intdiv.Floor(sp.lo, t.per); idx-- {
			a, z := max(idx*t.per, sp.lo), min(idx*t.per+t.per-1, sp.hi)
			if !fn(a, z, t.get(idx), t.per) {
				return
			}
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
	for sp := range s.spans(from, now, now) {
		t, lo, hi := sp.t, sp.lo, sp.hi
		// done is the oldest slot added to acc so far.
		done := intdiv.Floor(hi, t.per) + 1
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
			q := intdiv.Floor(starts[j], t.per)
			acc.add(t.rangeSum(q+1, done-1))
			done = q + 1
			out[j] = acc
			out[j].add(share(t.get(q), q*t.per+t.per-starts[j], t.per))
		}
		if lo > from {
			acc.add(t.rangeSum(intdiv.Floor(lo, t.per), done-1))
		}
	}
	for ; j < len(starts); j++ {
		out[j] = acc
	}
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
		for idx := intdiv.Floor(p.lo, p.t.per); idx <= intdiv.Floor(p.hi, p.t.per); idx++ {
			a, z := max(idx*p.t.per, p.lo), min(idx*p.t.per+p.t.per-1, p.hi)
			fn(a, z-a+1, share(p.t.get(idx), z-a+1, p.t.per))
		}
	}
}

func ceilDiv(a, b int64) int64 { return -intdiv.Floor(-a, b) }
