package agent

import (
	"math"
	"time"
)

// stripRuns is how many of a probe's latest runs the status page shows as
// a strip.
const stripRuns = 40

// runHistory is what the status page shows of a probe's past: its latest
// runs, and its runs per minute for an hour and per hour for a day, for
// the success ratios. 1.7 KB a probe, allocated with its state: 17 MB for
// 10,000 probes.
type runHistory struct {
	strip [stripRuns]stripRun
	next  int // where the next run goes in strip
	n     int // runs in strip

	minutes [60]slotCount[uint16] // by minute of the hour, for the last hour
	hours   [24]slotCount[uint32] // by hour of the day, for the last day
}

// stripRun is one run of the strip.
type stripRun struct {
	At     uint32 // Unix seconds (until 2106)
	State  uint8  // runOK, runSlow or runFailed
	Reason string
}

// Run states in the strip.
const (
	runOK uint8 = iota
	runSlow
	runFailed
)

// slotCount is the runs of one minute or hour: slot is its number since
// the epoch, so that a slot of an hour or a day ago reads as empty. A
// minute's counts are 16 bits, which a probe every millisecond would
// fill: they stop there rather than wrap.
type slotCount[N uint16 | uint32] struct {
	slot        uint32
	good, total N
}

func (c *slotCount[N]) add(slot int64, ok bool) {
	if c.slot != uint32(slot) {
		*c = slotCount[N]{slot: uint32(slot)}
	}
	if c.total+1 == 0 {
		return
	}
	c.total++
	if ok {
		c.good++
	}
}

// sum adds the slots of the span minutes (or hours) up to cur.
func sum[N uint16 | uint32](slots []slotCount[N], cur, span int64) (float64, uint32) {
	var good, total uint32
	for _, c := range slots {
		if s := int64(c.slot); s > cur-span && s <= cur {
			good += uint32(c.good)
			total += uint32(c.total)
		}
	}
	if total == 0 {
		return math.NaN(), 0
	}
	return float64(good) / float64(total), total
}

// add records a run: slow means it passed but took longer than the
// threshold of an SLO of the probe.
func (h *runHistory) add(at time.Time, ok, slow bool, reason string) {
	state := runOK
	switch {
	case !ok:
		state = runFailed
	case slow:
		state = runSlow
	}
	h.strip[h.next] = stripRun{At: uint32(at.Unix()), State: state, Reason: reason}
	h.next = (h.next + 1) % stripRuns
	h.n = min(h.n+1, stripRuns)
	m := floorDiv(at.Unix(), 60)
	h.minutes[floorMod(m, 60)].add(m, ok)
	hr := floorDiv(at.Unix(), 3600)
	h.hours[floorMod(hr, 24)].add(hr, ok)
}

// runs returns the strip, oldest first.
func (h *runHistory) runs() []stripRun {
	out := make([]stripRun, 0, h.n)
	for i := h.n; i > 0; i-- {
		out = append(out, h.strip[(h.next-i+stripRuns)%stripRuns])
	}
	return out
}

// ratios returns the share of passing runs over the last hour and the
// last day at now (NaN without runs) and the runs counted in each.
func (h *runHistory) ratios(now time.Time) (hour, day float64, hourRuns, dayRuns uint32) {
	hour, hourRuns = sum(h.minutes[:], floorDiv(now.Unix(), 60), 60)
	day, dayRuns = sum(h.hours[:], floorDiv(now.Unix(), 3600), 24)
	return hour, day, hourRuns, dayRuns
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
