package slo

import (
	"math"
	"math/bits"
)

// Slices are aligned to UTC (Unix time), so that the counts of two agents,
// or of the agent before and after a restart, add up slice by slice.
const (
	fineSecs     = 60  // fine slices: one minute, for the recent days
	coarseSecs   = 900 // coarse slices: a quarter hour, for the whole window
	finePerCoars = coarseSecs / fineSecs
	// maxSkew is how far (in minutes) an event may lie in the future of the
	// engine's clock and still count: probe hosts' clocks are not ours.
	maxSkew = 2
)

// counts is a number of good and of all events (or slices).
type counts struct{ good, total uint64 }

func (c *counts) add(o counts) { c.good += o.good; c.total += o.total }

// slot holds one slice's counts; idx is the slice's number since the Unix
// epoch, so a slot reused by a later slice is told apart from current data.
type slot struct {
	idx         int32
	good, total uint32
}

// ring is a fixed number of slots of one slice length.
type ring struct {
	slots []slot
	dirty []uint64 // one bit per slot: changed since the last flush
}

func newRing(n int) ring {
	return ring{slots: make([]slot, n), dirty: make([]uint64, (n+63)/64)}
}

func (r *ring) pos(idx int64) int { return int(floorMod(idx, int64(len(r.slots)))) }

// add changes the counts of slice idx. It reports false when the slot has
// already moved on to a later slice. A slot holding a slice after newest
// (written while the clock was wrong) is stale, not later.
func (r *ring) add(idx, newest int64, dg, dt int64) bool {
	p := r.pos(idx)
	s := &r.slots[p]
	if int64(s.idx) != idx {
		if int64(s.idx) > idx && int64(s.idx) <= newest && (s.good != 0 || s.total != 0) {
			return false
		}
		*s = slot{idx: int32(idx)}
	}
	s.good = uint32(int64(s.good) + dg)
	s.total = uint32(int64(s.total) + dt)
	r.dirty[p/64] |= 1 << (p % 64)
	return true
}

// set stores counts loaded from disk.
func (r *ring) set(idx int64, c counts) {
	r.slots[r.pos(idx)] = slot{idx: int32(idx), good: uint32(c.good), total: uint32(c.total)}
}

func (r *ring) get(idx int64) counts {
	s := r.slots[r.pos(idx)]
	if int64(s.idx) != idx {
		return counts{}
	}
	return counts{uint64(s.good), uint64(s.total)}
}

// sum adds the counts of slices lo to hi, both included.
func (r *ring) sum(lo, hi int64) counts {
	var c counts
	for i := lo; i <= hi; i++ {
		c.add(r.get(i))
	}
	return c
}

// takeDirty calls fn for every slot changed since the last call.
func (r *ring) takeDirty(fn func(idx int64, c counts)) {
	for w, bitsw := range r.dirty {
		for bitsw != 0 {
			b := bits.TrailingZeros64(bitsw)
			bitsw &^= 1 << b
			s := r.slots[w*64+b]
			fn(int64(s.idx), counts{uint64(s.good), uint64(s.total)})
		}
		r.dirty[w] = 0
	}
}

// markDirty flags slice idx for the next flush again (after a failed write).
func (r *ring) markDirty(idx int64) {
	p := r.pos(idx)
	if int64(r.slots[p].idx) == idx {
		r.dirty[p/64] |= 1 << (p % 64)
	}
}

// series is counts per slice in two tiers: minute slices covering the
// alert windows (so they are exact to the minute) and quarter-hour slices
// covering the whole SLO window. Every event goes into both tiers, so a
// query takes minutes where they are still kept and quarter hours beyond.
type series struct {
	fine   ring // minute slices
	coarse ring // quarter-hour slices
	// fineSince is the first minute the fine tier holds every run of:
	// after the tier grows (a config change, a restart with a longer
	// alert window) the minutes before it are only in quarter hours.
	fineSince int64
}

func newSeries(fineN, coarseN int) *series {
	return &series{fine: newRing(fineN), coarse: newRing(coarseN), fineSince: math.MinInt64}
}

// add counts dg good of dt events in the minute m, given the current minute
// now. Events too old for both tiers or too far in the future are dropped
// and add reports false.
func (s *series) add(m, now int64, dg, dt int64) bool {
	if m > now+maxSkew {
		return false
	}
	ok := false
	if m > now-int64(len(s.fine.slots))+maxSkew {
		ok = s.fine.add(m, now+maxSkew, dg, dt)
	}
	q := floorDiv(m, finePerCoars)
	if q > floorDiv(now, finePerCoars)-int64(len(s.coarse.slots))+1 {
		ok = s.coarse.add(q, floorDiv(now+maxSkew, finePerCoars), dg, dt) || ok
	}
	return ok
}

// fineFrom is the oldest minute whose fine slice is surely current: the
// fine tier covers len(fine) minutes up to now plus the skew allowance.
func (s *series) fineFrom(now int64) int64 {
	return now - int64(len(s.fine.slots)) + maxSkew + 1
}

// fineStart is the oldest minute queries take from the fine tier.
func (s *series) fineStart(now int64) int64 { return max(s.fineFrom(now), s.fineSince) }

// sum returns the counts from minute from to minute to (both included).
// Minutes before the fine tier are taken from quarter hours, the oldest of
// which is counted whole.
func (s *series) sum(from, to, now int64) counts {
	ff := s.fineStart(now)
	if from >= ff {
		return s.fine.sum(from, to)
	}
	b := ceilDiv(ff, finePerCoars) * finePerCoars // first whole quarter hour in fine
	c := s.fine.sum(b, to)
	c.add(s.coarse.sum(floorDiv(from, finePerCoars), b/finePerCoars-1))
	return c
}

// each calls fn in time order for every slice from minute from to minute to,
// with its first minute and length in minutes: quarter hours where minutes
// are gone, then minutes.
func (s *series) each(from, to, now int64, fn func(m, n int64, c counts)) {
	m := from
	if ff := s.fineStart(now); from < ff {
		b := ceilDiv(ff, finePerCoars) * finePerCoars
		for q := floorDiv(from, finePerCoars); q < b/finePerCoars; q++ {
			fn(q*finePerCoars, finePerCoars, s.coarse.get(q))
		}
		m = b
	}
	for ; m <= to; m++ {
		fn(m, 1, s.fine.get(m))
	}
}

// sumsBack returns the counts of the last ws[i] minutes up to now (now
// included) for every ws[i], which must be ascending and within the fine
// tier, in one pass.
func (s *series) sumsBack(now int64, ws []int64) []counts {
	out := make([]counts, len(ws))
	var c counts
	i := 0
	for k := int64(0); i < len(ws); k++ {
		for i < len(ws) && ws[i] == k {
			out[i] = c
			i++
		}
		if i < len(ws) {
			c.add(s.fine.get(now - k))
		}
	}
	return out
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
