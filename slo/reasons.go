package slo

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unique"
)

// ReasonSlow is the reason of a successful run that took longer than the
// SLO's latency threshold, which counts as bad.
const ReasonSlow = "slow"

// reasonUnknown stands for a failed run that gave no reason.
const reasonUnknown = "unknown"

// ReasonCount is how many of the window's bad runs gave a reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// failureLogSize bounds the bad runs an SLO remembers for naming its top
// reasons: a window with more bad runs is named by its latest ones.
const failureLogSize = 128

// maxLogReasons bounds a failure log's table of reasons, so that a run's
// reason is one byte. The ring holds at most failureLogSize reasons, so a
// full table always has room once the reasons no run names are dropped.
const maxLogReasons = 256

// failureLog is a ring of an SLO's latest bad runs. It is allocated at
// the first bad run and grows as runs come, so an SLO that never fails
// costs nothing and one that seldom does costs little. A run is 5 bytes:
// its time and the place of its reason in a table of the reasons the
// ring names, which are interned (at 10,000 SLOs failing alike, the
// reasons are one string each, not one per run). Times and places are
// kept apart, as a struct of both took 8 bytes a run with its padding:
// 1 KiB of every SLO failing for two hours, 640 bytes now.
type failureLog struct {
	mu      sync.Mutex
	at      []uint32 // each run's time in Unix seconds
	reason  []uint8  // each run's place in reasons, as at
	next    int
	reasons []unique.Handle[string]
}

func (f *failureLog) add(at time.Time, reason string) {
	if reason == "" {
		reason = reasonUnknown
	}
	h := unique.Make(reason)
	f.mu.Lock()
	defer f.mu.Unlock()
	t, r := unixSeconds(at), f.intern(h)
	switch {
	case len(f.at) < cap(f.at):
		f.at, f.reason = append(f.at, t), append(f.reason, r)
	case len(f.at) < failureLogSize:
		n := min(max(2*cap(f.at), 8), failureLogSize)
		f.at = append(make([]uint32, 0, n), f.at...)
		f.reason = append(make([]uint8, 0, n), f.reason...)
		f.at, f.reason = append(f.at, t), append(f.reason, r)
	default:
		f.at[f.next], f.reason[f.next] = t, r
		f.next = (f.next + 1) % failureLogSize
	}
}

// intern returns the place of h in the table, adding it. f.mu is held.
func (f *failureLog) intern(h unique.Handle[string]) uint8 {
	if i := slices.Index(f.reasons, h); i >= 0 {
		return uint8(i)
	}
	if len(f.reasons) == maxLogReasons {
		f.compact()
	}
	f.reasons = append(f.reasons, h)
	return uint8(len(f.reasons) - 1)
}

// compact drops the reasons no run in the ring names. When the ring is
// full, the run about to be replaced keeps its reason until then, which
// leaves the table at most failureLogSize reasons. f.mu is held.
func (f *failureLog) compact() {
	var place [maxLogReasons]int16
	for i := range place {
		place[i] = -1
	}
	var kept []unique.Handle[string]
	for i, r := range f.reason {
		if place[r] < 0 {
			place[r] = int16(len(kept))
			kept = append(kept, f.reasons[r])
		}
		f.reason[i] = uint8(place[r])
	}
	f.reasons = kept
}

// unixSeconds is t in Unix seconds, within what a uint32 holds (to 2106).
func unixSeconds(t time.Time) uint32 {
	return uint32(min(max(t.Unix(), 0), math.MaxUint32))
}

// top returns the k most frequent reasons of the bad runs after from,
// most frequent first (ties by name).
func (f *failureLog) top(from time.Time, k int) []ReasonCount {
	after := from.Unix()
	f.mu.Lock()
	counts := make([]int, len(f.reasons))
	for i, at := range f.at {
		if int64(at) > after {
			counts[f.reason[i]]++
		}
	}
	named := 0
	for _, n := range counts {
		if n > 0 {
			named++
		}
	}
	out := make([]ReasonCount, 0, named)
	for i, n := range counts {
		if n > 0 {
			out = append(out, ReasonCount{f.reasons[i].Value(), n})
		}
	}
	f.mu.Unlock()
	slices.SortFunc(out, func(a, b ReasonCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// ReasonsText writes reasons as "connect=12 timeout=3", for a log line.
func ReasonsText(rs []ReasonCount) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(r.Reason)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(r.Count))
	}
	return b.String()
}
