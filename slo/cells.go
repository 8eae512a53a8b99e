package slo

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
)

// cell is one slot's counts.
type cell struct{ good, total uint32 }

// cells holds a ring's counts by position, in as few bits as they need.
//
// Counts take one bit each while every count in the ring is 0 or 1, and
// as many bits as the largest count needs once one is larger, up to 8,
// then 16 or 32:
// a probe running every 60 s fills a minute slot with one run (1 bit), a
// quarter hour with 15 (4 bits), an hour with 60 (6 bits); one running
// every 20 s a minute with 3 (2 bits) and an hour with 180 (8 bits). A
// count that outgrows its width widens the whole ring.
//
// Most slots hold no bad run, so at first only totals are kept, and the
// bad runs of the few slots that have some in a short list by position;
// when the list would take more than good counts of every slot would, the
// ring keeps good and total for every slot instead. A slot's bad runs
// are 4 bytes, its position and count in one word (a count that needs
// more than 16 bits makes the ring dense), and the list grows by a
// quarter rather than doubling: with one run in a thousand failing, the
// hour tier of a 30-day SLO lists 43 slots, which took 512 bytes as
// 8-byte pairs in a doubled list and take 188. A rolling 30-day SLO
// of one probe at 60 s takes 0.8 KB of counts while few of its slots saw
// a failure, against 1.4 KB at a byte a count and 11.5 KB at four: at
// 10,000 SLOs the difference was most of the agent's memory, and twice
// that in its resident size, as the Go heap grows to twice what is live.
// Both forms narrow again only when the ring is emptied.
type cells struct {
	w     uint8 // bits per count: 1 to 8, 16 or 32
	dense bool  // b holds good then total of each slot; else its total, with bads
	n     int32 // slots
	b     []byte
	bads  []bad // slots with bad runs, by ascending position (when not dense)
}

// bad is the number of bad runs (low 16 bits) of the slot at a position
// (high 16 bits): ordered as the positions are.
type bad uint32

func makeBad(p int, n uint32) bad { return bad(uint32(p)<<16 | n) }

func (b bad) pos() int  { return int(b >> 16) }
func (b bad) n() uint32 { return uint32(b & 0xffff) }

// maxBad is the most bad runs a slot's entry holds.
const maxBad = 0xffff

// maxSparseSlots is the most slots a ring may have and keep its bad runs
// by position: an hour tier of 366 days has 8,786.
const maxSparseSlots = math.MaxUint16 + 1

func newCells(n int) cells {
	c := cells{w: 1, dense: n > maxSparseSlots, n: int32(n)}
	c.b = make([]byte, c.bytes(c.w))
	return c
}

// bytes is what the ring's counts take at w bits a count.
func (c *cells) bytes(w uint8) int {
	k := int(c.n)
	if c.dense {
		k *= 2
	}
	return (k*int(w) + 7) / 8
}

// widthMax is the largest count w bits hold.
func widthMax(w uint8) uint32 { return uint32(1)<<(w-1)<<1 - 1 }

func (c *cells) slots() int { return int(c.n) }

// count reads the i-th count of the ring's width.
func (c *cells) count(i int) uint32 {
	switch c.w {
	case 8:
		return uint32(c.b[i])
	case 16:
		return uint32(binary.LittleEndian.Uint16(c.b[2*i:]))
	case 32:
		return binary.LittleEndian.Uint32(c.b[4*i:])
	}
	o := i * int(c.w)
	return uint32(c.word(o>>3)>>(o&7)) & widthMax(c.w)
}

// word reads the (up to) 8 bytes from byte j on, little endian.
func (c *cells) word(j int) uint64 {
	if j+8 <= len(c.b) {
		return binary.LittleEndian.Uint64(c.b[j:])
	}
	var v uint64
	for k := len(c.b) - 1; k >= j; k-- {
		v = v<<8 | uint64(c.b[k])
	}
	return v
}

// setWord writes v to the (up to) 8 bytes from byte j on.
func (c *cells) setWord(j int, v uint64) {
	if j+8 <= len(c.b) {
		binary.LittleEndian.PutUint64(c.b[j:], v)
		return
	}
	for k := j; k < len(c.b); k++ {
		c.b[k] = byte(v)
		v >>= 8
	}
}

// setCount writes the i-th count, which must fit the width.
func (c *cells) setCount(i int, v uint32) {
	switch c.w {
	case 8:
		c.b[i] = byte(v)
	case 16:
		binary.LittleEndian.PutUint16(c.b[2*i:], uint16(v))
	case 32:
		binary.LittleEndian.PutUint32(c.b[4*i:], v)
	default:
		o := i * int(c.w)
		m := uint64(widthMax(c.w)) << (o & 7)
		c.setWord(o>>3, c.word(o>>3)&^m|uint64(v)<<(o&7))
	}
}

// badAt returns the bad runs at position p and where p is, or would be,
// in the list.
func (c *cells) badAt(p int) (n uint32, i int, found bool) {
	i, found = slices.BinarySearchFunc(c.bads, p, func(b bad, p int) int { return b.pos() - p })
	if found {
		n = c.bads[i].n()
	}
	return n, i, found
}

// setBad records n bad runs at position p, making the ring dense when the
// list grows past what good counts would take or n past what an entry
// holds.
func (c *cells) setBad(p int, n uint32) {
	_, i, found := c.badAt(p)
	switch {
	case n > maxBad:
		c.makeDense()
		c.setCount(2*p, c.count(2*p+1)-n)
	case found && n == 0:
		c.bads = slices.Delete(c.bads, i, i+1)
	case found:
		c.bads[i] = makeBad(p, n)
	case n != 0:
		if len(c.bads) == cap(c.bads) {
			grown := make([]bad, len(c.bads), len(c.bads)+len(c.bads)/4+1)
			copy(grown, c.bads)
			c.bads = grown
		}
		c.bads = slices.Insert(c.bads, i, makeBad(p, n))
		if len(c.bads)*4 > len(c.b) {
			c.makeDense()
		}
	}
}

// makeDense moves to good and total for every slot.
func (c *cells) makeDense() {
	old := *c
	c.dense, c.bads = true, nil
	c.b = make([]byte, c.bytes(c.w))
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
	w := uint8(bits.Len32(m))
	switch {
	case w > 16:
		w = 32
	case w > 8:
		w = 16
	}
	old := *c
	c.w, c.b = w, make([]byte, c.bytes(w))
	k := old.slots()
	if c.dense {
		k *= 2
	}
	for i := range k {
		c.setCount(i, old.count(i))
	}
}

// zero empties the slot at position p.
func (c *cells) zero(p int) {
	if c.dense {
		c.setCount(2*p, 0)
		c.setCount(2*p+1, 0)
	} else {
		c.setCount(p, 0)
	}
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
		case 1, 2, 4:
			return c.sumSmall(2*p, 2*k)
		case 8:
			b := c.b[2*p : 2*(p+k)]
			for i := 0; i+1 < len(b); i += 2 {
				g += uint64(b[i])
				n += uint64(b[i+1])
			}
		case 16:
			b := c.b[4*p : 4*(p+k)]
			for i := 0; i+3 < len(b); i += 4 {
				g += uint64(binary.LittleEndian.Uint16(b[i:]))
				n += uint64(binary.LittleEndian.Uint16(b[i+2:]))
			}
		case 32:
			b := c.b[8*p : 8*(p+k)]
			for i := 0; i+7 < len(b); i += 8 {
				g += uint64(binary.LittleEndian.Uint32(b[i:]))
				n += uint64(binary.LittleEndian.Uint32(b[i+4:]))
			}
		default:
			return c.sumBits(2*p, 2*k)
		}
		return g, n
	}
	switch c.w {
	case 8:
		for _, v := range c.b[p : p+k] {
			n += uint64(v)
		}
	case 16:
		b := c.b[2*p : 2*(p+k)]
		for i := 0; i+1 < len(b); i += 2 {
			n += uint64(binary.LittleEndian.Uint16(b[i:]))
		}
	case 32:
		b := c.b[4*p : 4*(p+k)]
		for i := 0; i+3 < len(b); i += 4 {
			n += uint64(binary.LittleEndian.Uint32(b[i:]))
		}
	case 1, 2, 4:
		e, o := c.sumSmall(p, k)
		n = e + o
	default:
		e, o := c.sumBits(p, k)
		n = e + o
	}
	var bad uint64
	if len(c.bads) > 0 {
		_, i, _ := c.badAt(p)
		for ; i < len(c.bads) && c.bads[i].pos() < p+k; i++ {
			bad += uint64(c.bads[i].n())
		}
	}
	return n - bad, n
}

// split is the i-th count as an even or an odd one, by i's parity: the
// counts before and after the whole bytes or words the sums below take
// at once.
func (c *cells) split(i int) (even, odd uint64) {
	n := uint64(c.count(i))
	if i%2 == 0 {
		return n, 0
	}
	return 0, n
}

// sumSmall adds the k counts of fewer than 8 bits from the i-th on: even
// ones to even, odd ones to odd (good and total of a dense ring; a
// sparse ring's totals are their sum). Whole bytes are added a byte at a
// time.
func (c *cells) sumSmall(i, k int) (even, odd uint64) {
	w := int(c.w)
	per := 8 / w // counts a byte
	end := i + k
	for ; i < end && i%per != 0; i++ {
		e, o := c.split(i)
		even, odd = even+e, odd+o
	}
	whole := (end - i) / per
	b := c.b[i/per : i/per+whole]
	i += whole * per
	switch w {
	case 1:
		// Bits alternate even and odd counts.
		for _, v := range b {
			even += uint64(bits.OnesCount8(v & 0x55))
			odd += uint64(bits.OnesCount8(v & 0xaa))
		}
	case 2:
		for _, v := range b {
			even += uint64(v&3 + v>>4&3)
			odd += uint64(v>>2&3 + v>>6)
		}
	default:
		for _, v := range b {
			even += uint64(v & 15)
			odd += uint64(v >> 4)
		}
	}
	for ; i < end; i++ {
		e, o := c.split(i)
		even, odd = even+e, odd+o
	}
	return even, odd
}

// sumBits is sumSmall for counts of 3 to 7 bits (an hour of a probe
// running every 60 s takes 6). Eight counts of w bits fill w whole bytes,
// so from a multiple of eight on, each eight are read as one word: its
// even counts are masked into lanes 2w bits apart, and one multiplication
// adds the four lanes into the top one (four counts of w bits need w+2 of
// the 2w, so no lane carries into the next). Taken a bit at a time, the
// hour tier of a 30-day SLO took 3.0 µs of the 4.6 a new minute costs.
func (c *cells) sumBits(i, k int) (even, odd uint64) {
	w := uint(c.w)
	end := i + k
	for ; i < end && i%8 != 0; i++ {
		e, o := c.split(i)
		even, odd = even+e, odd+o
	}
	m := uint64(widthMax(c.w))
	var lanes, spread uint64 // w bits at 0, 2w, 4w, 6w; a one at each
	for q := uint(0); q < 4; q++ {
		lanes |= m << (2 * w * q)
		spread |= 1 << (2 * w * q)
	}
	top, sum := 6*w, uint64(1)<<(2*w)-1
	for ; i+8 <= end; i += 8 {
		v := c.word(i / 8 * int(w))
		even += (v & lanes) * spread >> top & sum
		odd += (v >> w & lanes) * spread >> top & sum
	}
	for ; i < end; i++ {
		e, o := c.split(i)
		even, odd = even+e, odd+o
	}
	return even, odd
}
