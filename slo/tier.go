package slo

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// cell is one slot's counts.
type cell struct{ good, total uint32 }

// tier is a ring of slots of per minutes each. It holds the slots head-n+1
// to head (numbered from the epoch), so a slot needs no number of its own:
// moving the head on clears the slots it passes.
//
// Counts take as few bytes as the largest of them needs: one while every
// count in the ring is below 256, two below 65,536, else four. A probe
// running every 20 s fills a minute slot with 3 runs, a quarter hour with
// 45 and an hour with 180, so a rolling 30-day SLO of one such probe takes
// 2.9 KB of slots instead of 11.5 KB at four bytes: at 10,000 SLOs the
// difference is most of the agent's memory. A count that outgrows its width
// widens the whole ring, once; the ring narrows again only when it is
// emptied.
type tier struct {
	per   int64 // minutes per slot
	n     int64 // slots
	w     int   // bytes per count: 1, 2 or 4
	cells []byte
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
	return tier{per: per, n: int64(n), w: 1, cells: make([]byte, 2*n), head: noHead, since: math.MinInt64,
		dirty: make([]uint64, (n+63)/64)}
}

// widthMax is the largest count w bytes hold.
func widthMax(w int) uint32 { return uint32(1)<<(8*w-1)<<1 - 1 }

// load returns the counts of the slot at position p.
func (t *tier) load(p int) cell {
	switch t.w {
	case 1:
		return cell{uint32(t.cells[2*p]), uint32(t.cells[2*p+1])}
	case 2:
		return cell{uint32(binary.LittleEndian.Uint16(t.cells[4*p:])), uint32(binary.LittleEndian.Uint16(t.cells[4*p+2:]))}
	}
	return cell{binary.LittleEndian.Uint32(t.cells[8*p:]), binary.LittleEndian.Uint32(t.cells[8*p+4:])}
}

// store sets the counts of the slot at position p, widening the ring when
// they do not fit.
func (t *tier) store(p int, c cell) {
	if m := max(c.good, c.total); m > widthMax(t.w) {
		t.widen(m)
	}
	switch t.w {
	case 1:
		t.cells[2*p], t.cells[2*p+1] = byte(c.good), byte(c.total)
	case 2:
		binary.LittleEndian.PutUint16(t.cells[4*p:], uint16(c.good))
		binary.LittleEndian.PutUint16(t.cells[4*p+2:], uint16(c.total))
	default:
		binary.LittleEndian.PutUint32(t.cells[8*p:], c.good)
		binary.LittleEndian.PutUint32(t.cells[8*p+4:], c.total)
	}
}

// widen copies the ring into counts wide enough for m.
func (t *tier) widen(m uint32) {
	w := t.w
	for m > widthMax(w) {
		w *= 2
	}
	old := *t
	t.w, t.cells = w, make([]byte, 2*w*int(t.n))
	for p := range int(t.n) {
		t.store(p, old.load(p))
	}
}

// zero empties the slot at position p.
func (t *tier) zero(p int) { clear(t.cells[2*t.w*p : 2*t.w*(p+1)]) }

func (t *tier) pos(idx int64) int { return int(floorMod(idx, t.n)) }

// held reports whether slot idx is in the ring.
func (t *tier) held(idx int64) bool { return idx <= t.head && idx > t.head-t.n }

// advance moves the head on to idx, clearing the slots it passes.
func (t *tier) advance(idx int64) {
	if idx-t.head >= t.n {
		clear(t.cells)
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
		clear(t.cells)
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
	if t.dirty != nil {
		t.dirty[p/64] |= 1 << (p % 64)
	}
	return true
}

// addAt changes the counts at position p in place, reporting false when
// they no longer fit the ring's width.
func (t *tier) addAt(p int, dg, dt int64) bool {
	switch t.w {
	case 1:
		g, n := int64(t.cells[2*p])+dg, int64(t.cells[2*p+1])+dt
		if uint64(g|n) > math.MaxUint8 {
			return false
		}
		t.cells[2*p], t.cells[2*p+1] = byte(g), byte(n)
	case 2:
		b := t.cells[4*p : 4*p+4]
		g, n := int64(binary.LittleEndian.Uint16(b))+dg, int64(binary.LittleEndian.Uint16(b[2:]))+dt
		if uint64(g|n) > math.MaxUint16 {
			return false
		}
		binary.LittleEndian.PutUint16(b, uint16(g))
		binary.LittleEndian.PutUint16(b[2:], uint16(n))
	default:
		b := t.cells[8*p : 8*p+8]
		binary.LittleEndian.PutUint32(b, uint32(int64(binary.LittleEndian.Uint32(b))+dg))
		binary.LittleEndian.PutUint32(b[4:], uint32(int64(binary.LittleEndian.Uint32(b[4:]))+dt))
	}
	return true
}

// reset empties the ring with its head at head, at the narrowest width.
func (t *tier) reset(head int64) {
	if t.w != 1 {
		t.w, t.cells = 1, make([]byte, 2*t.n)
	}
	clear(t.cells)
	clear(t.dirty)
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
	limit := floorDiv(now+maxSkew, t.per)
	return max((max(t.head, limit)-t.n+1)*t.per, t.since)
}

// takeDirty calls fn for every slot changed since the last call.
func (t *tier) takeDirty(fn func(idx int64, c counts)) {
	for w, bitsw := range t.dirty {
		for bitsw != 0 {
			b := bits.TrailingZeros64(bitsw)
			bitsw &^= 1 << b
			p := w*64 + b
			idx := t.head - floorMod(t.head-int64(p), t.n)
			c := t.load(p)
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

// rangeSum adds the slots a to b, both included.
func (t *tier) rangeSum(a, b int64) counts {
	a, b = max(a, t.head-t.n+1), min(b, t.head)
	if a > b {
		return counts{}
	}
	// The ring wraps at most once: sum the two runs of positions.
	p, k := t.pos(a), int(b-a+1)
	g, n := t.sumPositions(p, min(k, int(t.n)-p))
	if k > int(t.n)-p {
		g2, n2 := t.sumPositions(0, k-(int(t.n)-p))
		g, n = g+g2, n+n2
	}
	return counts{g, n}
}

// sumPositions adds k slots from position p on, without wrapping: the
// loop a scrape spends its time in once a minute per SLO, one per width.
func (t *tier) sumPositions(p, k int) (g, n uint64) {
	switch t.w {
	case 1:
		b := t.cells[2*p : 2*(p+k)]
		for i := 0; i+1 < len(b); i += 2 {
			g += uint64(b[i])
			n += uint64(b[i+1])
		}
	case 2:
		b := t.cells[4*p : 4*(p+k)]
		for i := 0; i+3 < len(b); i += 4 {
			g += uint64(binary.LittleEndian.Uint16(b[i:]))
			n += uint64(binary.LittleEndian.Uint16(b[i+2:]))
		}
	default:
		b := t.cells[8*p : 8*(p+k)]
		for i := 0; i+7 < len(b); i += 8 {
			g += uint64(binary.LittleEndian.Uint32(b[i:]))
			n += uint64(binary.LittleEndian.Uint32(b[i+4:]))
		}
	}
	return g, n
}
