package slo

import (
	"encoding/binary"
	"math"
	"slices"
)

// cell is one slot's counts.
type cell struct{ good, total uint32 }

// cells holds a ring's counts by position, in as few bytes as they need.
//
// Counts take one byte each while every count in the ring is below 256, two
// below 65,536, else four: a probe running every 20 s fills a minute slot
// with 3 runs, a quarter hour with 45, an hour with 180. A count that
// outgrows its width widens the whole ring, once.
//
// Most slots hold no bad run, so at first only totals are kept, and the
// bad runs of the few slots that have some in a short list by position;
// when the list would take more than good counts of every slot would, the
// ring keeps good and total for every slot instead. A rolling 30-day SLO
// of one probe takes 1.4 KB of counts while few of its slots saw a failure
// and 2.9 KB at most, against 11.5 KB at four bytes a count each: at
// 10,000 SLOs the difference was most of the agent's memory, and twice
// that in its resident size, as the Go heap grows to twice what is live.
// Both forms narrow again only when the ring is emptied.
type cells struct {
	w     int  // bytes per count: 1, 2 or 4
	dense bool // b holds good then total of each slot; else its total, with bads
	b     []byte
	bads  []bad // positions with bad runs, ascending (when not dense)
}

// bad is the number of bad runs of the slot at position p.
type bad struct {
	p uint16
	n uint32
}

// maxSparseSlots is the most slots a ring may have and keep its bad runs
// by position: an hour tier of 366 days has 8,786.
const maxSparseSlots = math.MaxUint16 + 1

func newCells(n int) cells {
	return cells{w: 1, dense: n > maxSparseSlots, b: make([]byte, n*cellWidth(1, n > maxSparseSlots))}
}

// cellWidth is the bytes a slot takes at count width w.
func cellWidth(w int, dense bool) int {
	if dense {
		return 2 * w
	}
	return w
}

// widthMax is the largest count w bytes hold.
func widthMax(w int) uint32 { return uint32(1)<<(8*w-1)<<1 - 1 }

func (c *cells) slots() int { return len(c.b) / cellWidth(c.w, c.dense) }

// count reads the i-th count of the ring's width.
func (c *cells) count(i int) uint32 {
	switch c.w {
	case 1:
		return uint32(c.b[i])
	case 2:
		return uint32(binary.LittleEndian.Uint16(c.b[2*i:]))
	}
	return binary.LittleEndian.Uint32(c.b[4*i:])
}

// setCount writes the i-th count, which must fit the width.
func (c *cells) setCount(i int, v uint32) {
	switch c.w {
	case 1:
		c.b[i] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(c.b[2*i:], uint16(v))
	default:
		binary.LittleEndian.PutUint32(c.b[4*i:], v)
	}
}

// badAt returns the bad runs at position p and where p is, or would be,
// in the list.
func (c *cells) badAt(p int) (n uint32, i int, found bool) {
	i, found = slices.BinarySearchFunc(c.bads, p, func(b bad, p int) int { return int(b.p) - p })
	if found {
		n = c.bads[i].n
	}
	return n, i, found
}

// setBad records n bad runs at position p, making the ring dense when the
// list grows past what good counts would take.
func (c *cells) setBad(p int, n uint32) {
	_, i, found := c.badAt(p)
	switch {
	case found && n == 0:
		c.bads = slices.Delete(c.bads, i, i+1)
	case found:
		c.bads[i].n = n
	case n != 0:
		c.bads = slices.Insert(c.bads, i, bad{uint16(p), n})
		if len(c.bads)*8 > len(c.b) {
			c.makeDense()
		}
	}
}

// makeDense moves to good and total for every slot.
func (c *cells) makeDense() {
	old := *c
	c.dense, c.bads, c.b = true, nil, make([]byte, 2*len(old.b))
	for p := range old.slots() {
		c.store(p, old.load(p))
	}
}

// load returns the counts of the slot at position p.
func (c *cells) load(p int) cell {
	if c.dense {
		return cell{c.count(2 * p), c.count(2*p + 1)}
	}
	t := c.count(p)
	if len(c.bads) == 0 {
		return cell{t, t}
	}
	n, _, _ := c.badAt(p)
	return cell{t - n, t}
}

// store sets the counts of the slot at position p, widening the ring when
// they do not fit.
func (c *cells) store(p int, v cell) {
	if v.good > v.total && !c.dense {
		c.makeDense() // not counts of runs; kept as they are
	}
	if m := max(v.good, v.total); m > widthMax(c.w) {
		c.widen(m)
	}
	if c.dense {
		c.setCount(2*p, v.good)
		c.setCount(2*p+1, v.total)
		return
	}
	c.setCount(p, v.total)
	c.setBad(p, v.total-v.good)
}

// addAt changes the counts at position p in place, reporting false when
// they no longer fit as they are (then store them).
func (c *cells) addAt(p int, dg, dt int64) bool {
	if c.dense {
		g, t := int64(c.count(2*p))+dg, int64(c.count(2*p+1))+dt
		if uint64(g|t) > uint64(widthMax(c.w)) {
			return false
		}
		c.setCount(2*p, uint32(g))
		c.setCount(2*p+1, uint32(t))
		return true
	}
	t := int64(c.count(p)) + dt
	if uint64(t) > uint64(widthMax(c.w)) {
		return false
	}
	if dg == dt {
		// A good run, the common case: the bad runs stay as they are.
		c.setCount(p, uint32(t))
		return true
	}
	n, _, _ := c.badAt(p)
	b := int64(n) + dt - dg
	if b < 0 || b > t {
		return false
	}
	c.setCount(p, uint32(t))
	c.setBad(p, uint32(b))
	return true
}

// widen copies the ring into counts wide enough for m.
func (c *cells) widen(m uint32) {
	w := c.w
	for m > widthMax(w) {
		w *= 2
	}
	old := *c
	c.w, c.b = w, make([]byte, old.slots()*cellWidth(w, c.dense))
	for i := range len(old.b) / old.w {
		c.setCount(i, old.count(i))
	}
}

// zero empties the slot at position p.
func (c *cells) zero(p int) {
	k := cellWidth(c.w, c.dense)
	clear(c.b[k*p : k*(p+1)])
	if len(c.bads) > 0 {
		c.setBad(p, 0)
	}
}

// zeroAll empties every slot.
func (c *cells) zeroAll() {
	clear(c.b)
	c.bads = c.bads[:0]
}

// reset empties the ring at the narrowest width, keeping totals only.
func (c *cells) reset() {
	if c.w != 1 || c.dense && c.slots() <= maxSparseSlots {
		*c = newCells(c.slots())
		return
	}
	c.zeroAll()
}

// sum adds the k slots from position p on, without wrapping: the loop a
// scrape spends its time in once a minute per SLO.
func (c *cells) sum(p, k int) (g, n uint64) {
	if c.dense {
		switch c.w {
		case 1:
			b := c.b[2*p : 2*(p+k)]
			for i := 0; i+1 < len(b); i += 2 {
				g += uint64(b[i])
				n += uint64(b[i+1])
			}
		case 2:
			b := c.b[4*p : 4*(p+k)]
			for i := 0; i+3 < len(b); i += 4 {
				g += uint64(binary.LittleEndian.Uint16(b[i:]))
				n += uint64(binary.LittleEndian.Uint16(b[i+2:]))
			}
		default:
			b := c.b[8*p : 8*(p+k)]
			for i := 0; i+7 < len(b); i += 8 {
				g += uint64(binary.LittleEndian.Uint32(b[i:]))
				n += uint64(binary.LittleEndian.Uint32(b[i+4:]))
			}
		}
		return g, n
	}
	switch c.w {
	case 1:
		for _, v := range c.b[p : p+k] {
			n += uint64(v)
		}
	case 2:
		b := c.b[2*p : 2*(p+k)]
		for i := 0; i+1 < len(b); i += 2 {
			n += uint64(binary.LittleEndian.Uint16(b[i:]))
		}
	default:
		b := c.b[4*p : 4*(p+k)]
		for i := 0; i+3 < len(b); i += 4 {
			n += uint64(binary.LittleEndian.Uint32(b[i:]))
		}
	}
	var bad uint64
	if len(c.bads) > 0 {
		_, i, _ := c.badAt(p)
		for ; i < len(c.bads) && int(c.bads[i].p) < p+k; i++ {
			bad += uint64(c.bads[i].n)
		}
	}
	return n - bad, n
}
