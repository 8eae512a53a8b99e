package slo

import "time"

// windowCache holds the counts of every window of an SLO (its short
// windows, then the SLO window) at one minute. Computing them walks some
// 1,400 slots; runs counted during the minute are added to the windows
// holding them, so a scrape costs nothing more until the minute changes.
type windowCache struct {
	at     int64   // the minute the counts are for; noHead when none
	starts []int64 // each window's first minute
	sums   []counts
	order  []int // windows by descending start
	sorted []int64
	out    []counts
}

func (c *windowCache) reset(n int) {
	*c = windowCache{at: noHead, starts: make([]int64, n), sums: make([]counts, n),
		order: make([]int, n), sorted: make([]int64, n), out: make([]counts, n)}
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
		if m >= s {
			c.sums[i].good += uint64(dg)
			c.sums[i].total += uint64(dt)
		}
	}
}

// windowCounts returns the counts of the short windows and, last, of the
// SLO window at now, from the cache when it holds them. The slice is the
// cache's: read it under st.mu.
func (st *state) windowCounts(now time.Time) []counts {
	nowMin := floorDiv(now.Unix(), 60)
	c := &st.cache
	if c.at == nowMin {
		return c.sums
	}
	for i, d := range st.windows {
		c.starts[i] = nowMin - int64(d/time.Minute) + 1
	}
	c.starts[len(st.windows)] = st.wholeStart(now, nowMin)
	// Insertion sort: a dozen windows, nearly in order already.
	for i := range c.order {
		c.order[i] = i
		for j := i; j > 0 && c.starts[c.order[j]] > c.starts[c.order[j-1]]; j-- {
			c.order[j], c.order[j-1] = c.order[j-1], c.order[j]
		}
	}
	for i, k := range c.order {
		c.sorted[i] = c.starts[k]
	}
	st.units().sums(nowMin, c.sorted, c.out)
	for i, k := range c.order {
		c.sums[k] = c.out[i]
	}
	c.at = nowMin
	return c.sums
}

// wholeStart is the first minute of the SLO window at now.
func (st *state) wholeStart(now time.Time, nowMin int64) int64 {
	if st.sp.calendar == "" {
		return nowMin - int64(st.sp.rolling/time.Minute) + 1
	}
	start, _ := st.sp.bounds(now)
	return floorDiv(start.Unix(), 60)
}
