package slo

import (
	"time"

	"github.com/sloagent/sloagent/internal/intdiv"
)

// windowCache holds the counts of every window of an SLO (its short
// windows, then the SLO window) at one minute. Computing them walks some
// 1,400 slots; runs counted during the minute are added to the windows
// holding them, so a scrape costs nothing more until the minute changes.
//
// A window of d at time t covers (t-d, t]: the whole minutes from its
// first one to the current one, and the part of the minute before that is
// still inside it, taken as a share of that minute's runs (runs spread
// evenly over a minute). So a window keeps its length at every second: it
// neither shrinks to the current minute's few seconds at hh:mm:00 nor
// grows by a minute, and an alert over it does not flap with the clock.
type windowCache struct {
	at int64 // the minute the counts are for; noHead when none
	// whole is the first whole minute of the SLO window at minute at; a
	// short window's follows from its length.
	whole int64
	win   []cachedWindow
	// calendar: the SLO window (the last) does not move, so it has no
	// edge minute.
	calendar bool
}

// cachedWindow is one window's counts at the cache's minute.
type cachedWindow struct {
	sum counts // its whole minutes
	// edge is the minute before its first whole one, which it covers in
	// part: one minute's runs, which 32 bits hold (8 bytes a window, of
	// 14 an SLO).
	edge minuteCounts
}

// minuteCounts is one minute's counts.
type minuteCounts struct{ good, total uint32 }

func (m minuteCounts) counts() counts { return counts{uint64(m.good), uint64(m.total)} }

// start is the first whole minute of window i at the cache's minute,
// given the short windows' lengths in minutes.
func (c *windowCache) start(i int, mins []int64) int64 {
	if i < len(mins) {
		return c.at - mins[i] + 1
	}
	return c.whole
}

func (c *windowCache) reset(n int, calendar bool) {
	*c = windowCache{at: noHead, win: make([]cachedWindow, n), calendar: calendar}
}

// sliding tells whether window i moves with the clock (and so covers part
// of its edge minute).
func (c *windowCache) sliding(i int) bool {
	return !c.calendar || i < len(c.win)-1
}

// maxStackBounds is how many window bounds fillCache sorts without
// allocating: twice the windows of every alerting config but the most
// unusual. The scratch lives on the stack rather than in each SLO, where
// it cost 1 KiB per SLO for a few microseconds' use a minute.
const maxStackBounds = 32

// bump counts dg good of dt events at minute m towards the windows holding
// it; mins are the short windows' lengths in minutes. A run over an hour
// old (seldom: a late report) may fall in a slot a window covers in part,
// so the counts are computed afresh instead.
func (c *windowCache) bump(m, dg, dt int64, mins []int64) {
	switch {
	case c.at == noHead || m > c.at:
		return
	case m < c.at-hourMin:
		c.at = noHead
		return
	}
	for i := range c.win {
		w := &c.win[i]
		start := c.start(i, mins)
		switch {
		case m >= start:
			w.sum.good += uint64(dg)
			w.sum.total += uint64(dt)
		case m == start-1 && c.sliding(i):
			w.edge.good += uint32(dg)
			w.edge.total += uint32(dt)
		}
	}
}

// windowCounts appends the counts of the short windows and, last, of the
// SLO window at now to out[:0], from the cache when it holds them. Callers
// pass a buffer on their stack (maxStackBounds counts hold every window of
// any but the most unusual alerting config) rather than each SLO keeping
// one.
func (st *state) windowCounts(now time.Time, out []counts) []counts {
	nowMin := intdiv.Floor(now.Unix(), 60)
	c := &st.cache
	if c.at != nowMin {
		st.fillCache(now, nowMin)
	}
	// The seconds of the edge minute still inside each window.
	inside := 60 - intdiv.Mod(now.Unix(), 60)
	out = out[:0]
	for i, w := range c.win {
		r := w.sum
		if c.sliding(i) {
			r.add(share(w.edge.counts(), inside, 60))
		}
		out = append(out, r)
	}
	return out
}

// fillCache computes every window's whole minutes and edge minute at
// nowMin, in one pass over the slots.
func (st *state) fillCache(now time.Time, nowMin int64) {
	c := &st.cache
	n := len(c.win)
	c.at, c.whole = nowMin, st.wholeStart(now, nowMin)
	mins := st.shape.mins
	// Each window's edge minute (at 2i) and first minute (at 2i+1), by
	// descending minute, as sums takes them.
	var orderBuf [maxStackBounds]int
	var sortedBuf [maxStackBounds]int64
	var outBuf [maxStackBounds]counts
	order, sorted, out := orderBuf[:0], sortedBuf[:0], outBuf[:0]
	if 2*n > maxStackBounds {
		order, sorted, out = make([]int, 0, 2*n), make([]int64, 0, 2*n), make([]counts, 0, 2*n)
	}
	order, sorted, out = order[:2*n], sorted[:2*n], out[:2*n]
	bound := func(k int) int64 { return c.start(k/2, mins) - 1 + int64(k%2) }
	// Insertion sort: two dozen bounds, nearly in order already.
	for i := range order {
		order[i] = i
		for j := i; j > 0 && bound(order[j]) > bound(order[j-1]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for i, k := range order {
		sorted[i] = bound(k)
	}
	st.units().sums(nowMin, sorted, out)
	for i, k := range order {
		if k%2 == 1 {
			c.win[k/2].sum = out[i]
		}
	}
	for i, k := range order {
		// The edge and everything after it, less the window's whole
		// minutes.
		if w := &c.win[k/2]; k%2 == 0 && c.sliding(k/2) {
			w.edge = minuteCounts{uint32(out[i].good - w.sum.good), uint32(out[i].total - w.sum.total)}
		} else if k%2 == 0 {
			w.edge = minuteCounts{}
		}
	}
}

// wholeStart is the first whole minute of the SLO window at now.
func (st *state) wholeStart(now time.Time, nowMin int64) int64 {
	if st.shape.sp.calendar == "" {
		return nowMin - int64(st.shape.sp.rolling/time.Minute) + 1
	}
	start, _ := st.shape.sp.bounds(now)
	return intdiv.Floor(start.Unix(), 60)
}
