package slo

import (
	"math"

	"github.com/sloagent/sloagent/internal/intdiv"
)

// tier is a ring of slots of per minutes each. It holds the slots head-n+1
// to head (numbered from the epoch), so a slot needs no number of its own:
// moving the head on clears the slots it passes.
type tier struct {
	per   int64 // minutes per slot
	n     int64 // slots
	cells       // by position in the ring
	head  int64
	// since is the first minute the tier holds every run of: after the
	// tier grows (a reload, a restart with a longer window) the minutes
	// before it are only in a coarser tier.
	since int64
	// dirtyFrom to dirtyTo are the slots changed since the last flush
	// (none when dirtyFrom > dirtyTo). Runs come in order, so the range
	// is what changed; a late run widens it, and the slots in between
	// are written again unchanged. A bit per slot took 208 bytes an SLO
	// of 30 days.
	dirtyFrom, dirtyTo int64
}

// noHead is the head of an empty tier: every slot number is after it and
// head-n does not overflow.
const noHead = math.MinInt64 / 4

func newTier(per int64, n int) tier {
	t := tier{per: per, n: int64(n), cells: newCells(n), head: noHead, since: math.MinInt64}
	t.clean()
	return t
}

// clean marks no slot changed.
func (t *tier) clean() { t.dirtyFrom, t.dirtyTo = math.MaxInt64, math.MinInt64 }

func (t *tier) pos(idx int64) int { return int(intdiv.Mod(idx, t.n)) }

// held reports whether slot idx is in the ring.
func (t *tier) held(idx int64) bool { return idx <= t.head && idx > t.head-t.n }

// advance moves the head on to idx, clearing the slots it passes.
func (t *tier) advance(idx int64) {
	if idx-t.head >= t.n {
		t.zeroAll()
	} else {
		for i := t.head + 1; i <= idx; i++ {
			t.zero(t.pos(i))
		}
	}
	t.head = idx
}

// rewind moves the head back to limit after the clock went back: the slots
// after limit were written at times that have not come yet.
func (t *tier) rewind(limit int64) {
	if t.head-limit >= t.n {
		t.zeroAll()
	} else {
		for i := limit + 1; i <= t.head; i++ {
			t.zero(t.pos(i))
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
	if !t.addAt(p, dg, dt) {
		c := t.load(p)
		t.store(p, cell{uint32(int64(c.good) + dg), uint32(int64(c.total) + dt)})
	}
	t.markDirty(idx)
	return true
}

// reset empties the ring with its head at head, at the narrowest width.
func (t *tier) reset(head int64) {
	t.cells.reset()
	t.clean()
	t.head = head
}

// set stores counts loaded from disk; idx must be held.
func (t *tier) set(idx int64, c counts) {
	t.store(t.pos(idx), cell{uint32(c.good), uint32(c.total)})
}

// plus adds counts loaded from disk to slot idx, which must be held.
func (t *tier) plus(idx int64, c counts) {
	p := t.pos(idx)
	if !t.addAt(p, int64(c.good), int64(c.total)) {
		o := t.load(p)
		t.store(p, cell{o.good + uint32(c.good), o.total + uint32(c.total)})
	}
}

func (t *tier) get(idx int64) counts {
	if !t.held(idx) {
		return counts{}
	}
	c := t.load(t.pos(idx))
	return counts{uint64(c.good), uint64(c.total)}
}

// first is the oldest minute the tier holds every run of, for queries at
// minute now: the ring reaches back from its head or from now, whichever
// is later (any later run would have moved the head on).
func (t *tier) first(now int64) int64 {
	limit := intdiv.Floor(now+maxSkew, t.per)
	return max((max(t.head, limit)-t.n+1)*t.per, t.since)
}

// takeDirty calls fn for every slot changed since the last call that
// the ring still holds, oldest first.
func (t *tier) takeDirty(fn func(idx int64, c counts)) {
	for idx := max(t.dirtyFrom, t.head-t.n+1); idx <= min(t.dirtyTo, t.head); idx++ {
		c := t.load(t.pos(idx))
		fn(idx, counts{uint64(c.good), uint64(c.total)})
	}
	t.clean()
}

// markDirty flags slot idx for the next flush (again, after a failed
// write).
func (t *tier) markDirty(idx int64) {
	if t.held(idx) {
		t.dirtyFrom, t.dirtyTo = min(t.dirtyFrom, idx), max(t.dirtyTo, idx)
	}
}

// rangeSum adds the slots a to b, both included.
func (t *tier) rangeSum(a, b int64) counts {
	a, b = max(a, t.head-t.n+1), min(b, t.head)
	if a > b {
		return counts{}
	}
	// The ring wraps at most once: sum the two runs of positions.
	p, k := t.pos(a), int(b-a+1)
	g, n := t.sum(p, min(k, int(t.n)-p))
	if k > int(t.n)-p {
		g2, n2 := t.sum(0, k-(int(t.n)-p))
		g, n = g+g2, n+n2
	}
	return counts{g, n}
}
