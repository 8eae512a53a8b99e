package agent

import (
	"math"
	"time"

	"github.com/sloagent/sloagent/internal/intdiv"
)

// stripRuns is how many of a probe's latest runs the status page shows as
// a strip.
const stripRuns = 40

// runHistory is what the status page shows of a probe's past: its latest
// runs, and its runs per minute for an hour and per hour for a day, for
// the success ratios. About 700 bytes a probe, allocated with its state:
// 7 MB for 10,000 probes.
type runHistory struct {
	// The strip: when each run started (Unix seconds, until 2106), and
	// its state and reason, apart so that no padding comes between.
	at      [stripRuns]uint32
	kept    [stripRuns]keptRun
	next, n uint8 // where the next run goes in the strip; runs in it
	// reasons are the reasons the strip names, "" first: a run keeps its
	// place here rather than the string, 1 byte a run instead of 16.
	reasons []string

	// minutes and hours are rings of counts by minute of the hour and
	// hour of the day, the latest of which is lastMinute and lastHour
	// (since the epoch): slots passed over on the way to a later one are
	// emptied, so that a slot holds its last turn only, and neither
	// needs to carry its own number.
	lastMinute, lastHour uint32
	minutes              [60]slotCount[uint16]
	hours                [24]slotCount[uint32]
}

// stripRun is one run of the strip.
type stripRun struct {
	At     uint32 // Unix seconds (until 2106)
	State  uint8  // runOK, runSlow or runFailed
	Reason string
}

// keptRun is a run of the strip as kept, but for its time.
type keptRun struct {
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

// slotCount is the runs of one minute or hour. A minute's counts are 16
// bits, which a probe every millisecond would fill: they stop there
// rather than wrap.
type slotCount[N uint16 | uint32] struct {
	good, total N
}

func (c *slotCount[N]) add(ok bool) {
	if c.total+1 == 0 {
		return
	}
	c.total++
	if ok {
		c.good++
	}
}

// addSlot counts a run of slot (a minute or hour since the epoch) in the
// ring slots, whose latest slot is *last. A later slot empties the slots
// in between. The first run, a gap of a whole ring, or a clock set back
// by one start the ring again.
func addSlot[N uint16 | uint32](slots []slotCount[N], last *uint32, slot int64, ok bool) {
	size := int64(len(slots))
	latest := int64(*last)
	switch {
	case latest == 0 || slot >= latest+size || slot <= latest-size:
		clear(slots)
		*last = uint32(slot)
	case slot > latest:
		for s := latest + 1; s <= slot; s++ {
			slots[intdiv.Mod(s, size)] = slotCount[N]{}
		}
		*last = uint32(slot)
	}
	slots[intdiv.Mod(slot, size)].add(ok)
}

// sum adds the slots of the span minutes (or hours) up to cur, in the
// ring slots whose latest slot is last.
func sum[N uint16 | uint32](slots []slotCount[N], last uint32, cur, span int64) (float64, uint32) {
	var good, total uint32
	size := int64(len(slots))
	for i, c := range slots {
		// The slot number of place i: the latest at or before last.
		s := int64(last) - intdiv.Mod(int64(last)-int64(i), size)
		if s > cur-span && s <= cur {
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
	h.at[h.next], h.kept[h.next] = uint32(at.Unix()), keptRun{state: state}
	h.kept[h.next].reason = h.intern(reason)
	h.next = (h.next + 1) % stripRuns
	h.n = min(h.n+1, stripRuns)
	addSlot(h.minutes[:], &h.lastMinute, intdiv.Floor(at.Unix(), 60), ok)
	addSlot(h.hours[:], &h.lastHour, intdiv.Floor(at.Unix(), 3600), ok)
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
		for i := range h.kept[:h.n] {
			r := &h.kept[i]
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
	for i := int(h.n); i > 0; i-- {
		j := (int(h.next) - i + stripRuns) % stripRuns
		r := h.kept[j]
		out = append(out, stripRun{At: h.at[j], State: r.state, Reason: h.reason(r.reason)})
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
	hour, hourRuns = sum(h.minutes[:], h.lastMinute, intdiv.Floor(now.Unix(), 60), 60)
	day, dayRuns = sum(h.hours[:], h.lastHour, intdiv.Floor(now.Unix(), 3600), 24)
	return hour, day, hourRuns, dayRuns
}
