package slo

import "time"

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
	at      int64   // the minute the counts are for; noHead when none
	starts  []int64 // each window's first whole minute
	sums    []counts
	edges   []counts // the minute before each window's first, which it covers in part
	sliding []bool   // false for a calendar window, whose start does not move
	res     []counts // sums plus the edges' shares at the time asked for
	order   []int    // window bounds by descending start
	bounds  []int64  // each window's edge minute, then its first minute
	sorted  []int64
	out     []counts
}

func (c *windowCache) reset(n int) {
	*c = windowCache{at: noHead, starts: make([]int64, n), sums: make([]counts, n), edges: make([]counts, n),
		sliding: make([]bool, n), res: make([]counts, n), order: make([]int, 2*n), bounds: make([]int64, 2*n),
		sorted: make([]int64, 2*n), out: make([]counts, 2*n)}
}

// bump counts dg good of dt events at minute m towards the windows holding
// it. A run over an hour old (seldom: a late report) may fall in a slot a
// window covers in part, so the counts are computed afresh instead.
func (c *windowCache) bump(m, dg, dt int64) {
	switch {
	case c.at == noHead || m > c.at:
		return
	case m < c.at-hourMin:
		c.at = noHead
		return
	}
	for i, s := range c.starts {
		switch {
		case m >= s:
			c.sums[i].good += uint64(dg)
			c.sums[i].total += uint64(dt)
		case m == s-1 && c.sliding[i]:
			c.edges[i].good += uint64(dg)
			c.edges[i].total += uint64(dt)
		}
	}
}

// windowCounts returns the counts of the short windows and, last, of the
// SLO window at now, from the cache when it holds them. The slice is the
// cache's: read it under st.mu.
func (st *state) windowCounts(now time.Time) []counts {
	nowMin := floorDiv(now.Unix(), 60)
	c := &st.cache
	if c.at != nowMin {
		st.fillCache(now, nowMin)
	}
	// The seconds of the edge minute still inside each window.
	inside := 60 - floorMod(now.Unix(), 60)
	for i := range c.sums {
		c.res[i] = c.sums[i]
		if c.sliding[i] {
			c.res[i].add(share(c.edges[i], inside, 60))
		}
	}
	return c.res
}

// fillCache computes every window's whole minutes and edge minute at
// nowMin, in one pass over the slots.
func (st *state) fillCache(now time.Time, nowMin int64) {
	c := &st.cache
	n := len(c.starts)
	for i, d := range st.windows {
		c.starts[i] = nowMin - int64(d/time.Minute) + 1
		c.sliding[i] = true
	}
	c.starts[n-1] = st.wholeStart(now, nowMin)
	c.sliding[n-1] = st.sp.calendar == ""
	for i := range n {
		c.bounds[2*i], c.bounds[2*i+1] = c.starts[i]-1, c.starts[i]
	}
	// Insertion sort: two dozen bounds, nearly in order already.
	for i := range c.order {
		c.order[i] = i
		for j := i; j > 0 && c.bounds[c.order[j]] > c.bounds[c.order[j-1]]; j-- {
			c.order[j], c.order[j-1] = c.order[j-1], c.order[j]
		}
	}
	for i, k := range c.order {
		c.sorted[i] = c.bounds[k]
	}
	st.units().sums(nowMin, c.sorted, c.out)
	for i, k := range c.order {
		if k%2 == 1 {
			c.sums[k/2] = c.out[i]
		} else {
			c.edges[k/2] = c.out[i] // the edge and everything after it, for now
		}
	}
	for i := range n {
		c.edges[i].good -= c.sums[i].good
		c.edges[i].total -= c.sums[i].total
		if !c.sliding[i] {
			c.edges[i] = counts{}
		}
	}
	c.at = nowMin
}

// wholeStart is the first whole minute of the SLO window at now.
func (st *state) wholeStart(now time.Time, nowMin int64) int64 {
	if st.sp.calendar == "" {
		return nowMin - int64(st.sp.rolling/time.Minute) + 1
	}
	start, _ := st.sp.bounds(now)
	return floorDiv(start.Unix(), 60)
}
