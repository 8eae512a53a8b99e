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
// the success ratios. 1.1 KB a probe, allocated with its state: 11 MB for
// 10,000 probes.
type runHistory struct {
	strip [stripRuns]keptRun
	next  int // where the next run goes in strip
	n     int // runs in strip
	// reasons are the reasons the strip names, "" first: a run keeps its
	// place here rather than the string, 8 bytes a run instead of 24.
	reasons []string

	minutes [60]slotCount[uint16] // by minute of the hour, for the last hour
	hours   [24]slotCount[uint32] // by hour of the day, for the last day
}

// stripRun is one run of the strip.
type stripRun struct {
	At     uint32 // Unix seconds (until 2106)
	State  uint8  // runOK, runSlow or runFailed
	Reason string
}

// keptRun is a run of the strip as kept.
type keptRun struct {
	at     uint32
	state  uint8
	reason uint8 // place in reasons
}

// maxStripReasons bounds the table of a strip's reasons; when full, the
// reasons no run names any more are dropped (the strip names at most
// stripRuns).
const maxStripReasons = 2 * stripRuns

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
	// The run replaced names no reason while the table may be trimmed.
	h.strip[h.next] = keptRun{at: uint32(at.Unix()), state: state}
	h.strip[h.next].reason = h.intern(reason)
	h.next = (h.next + 1) % stripRuns
	h.n = min(h.n+1, stripRuns)
	m := floorDiv(at.Unix(), 60)
	h.minutes[floorMod(m, 60)].add(m, ok)
	hr := floorDiv(at.Unix(), 3600)
	h.hours[floorMod(hr, 24)].add(hr, ok)
}

// intern returns the place of reason in h.reasons, adding it.
func (h *runHistory) intern(reason string) uint8 {
	if reason == "" {
		return 0
	}
	for i, r := range h.reasons {
		if r == reason {
			return uint8(i)
		}
	}
	if len(h.reasons) == 0 {
		h.reasons = append(h.reasons, "")
	}
	if len(h.reasons) == maxStripReasons {
		// Keep the reasons of the runs in the strip only.
		var place [maxStripReasons]uint8 // new place by old; 0: not yet
		kept := []string{""}
		for i := range h.strip[:h.n] {
			r := &h.strip[i]
			if r.reason == 0 {
				continue
			}
			if place[r.reason] == 0 {
				place[r.reason] = uint8(len(kept))
				kept = append(kept, h.reasons[r.reason])
			}
			r.reason = place[r.reason]
		}
		h.reasons = kept
	}
	h.reasons = append(h.reasons, reason)
	return uint8(len(h.reasons) - 1)
}

// runs returns the strip, oldest first.
func (h *runHistory) runs() []stripRun {
	out := make([]stripRun, 0, h.n)
	for i := h.n; i > 0; i-- {
		r := h.strip[(h.next-i+stripRuns)%stripRuns]
		out = append(out, stripRun{At: r.at, State: r.state, Reason: h.reason(r.reason)})
	}
	return out
}

func (h *runHistory) reason(i uint8) string {
	if int(i) < len(h.reasons) {
		return h.reasons[i]
	}
	return ""
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
