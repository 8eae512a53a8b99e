package slo

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
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

// failureLog is a ring of an SLO's latest bad runs. It is allocated at
// the first bad run, so an SLO that never fails costs nothing.
type failureLog struct {
	mu   sync.Mutex
	runs []failure
	next int
}

type failure struct {
	at     int64 // Unix seconds
	reason string
}

func (f *failureLog) add(at time.Time, reason string) {
	if reason == "" {
		reason = reasonUnknown
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r := failure{at.Unix(), reason}
	if len(f.runs) < failureLogSize {
		f.runs = append(f.runs, r)
		return
	}
	f.runs[f.next] = r
	f.next = (f.next + 1) % failureLogSize
}

// top returns the k most frequent reasons of the bad runs after from,
// most frequent first (ties by name).
func (f *failureLog) top(from time.Time, k int) []ReasonCount {
	f.mu.Lock()
	counts := map[string]int{}
	for _, r := range f.runs {
		if r.at > from.Unix() {
			counts[r.reason]++
		}
	}
	f.mu.Unlock()
	out := make([]ReasonCount, 0, len(counts))
	for r, n := range counts {
		out = append(out, ReasonCount{r, n})
	}
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
