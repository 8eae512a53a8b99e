package browser

import "time"

// WaitBuckets are the upper bounds, in seconds, of Stats.QueueWait: from a
// slot that was free at once to a queue that held a run for minutes.
var WaitBuckets = []float64{0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// WaitHistogram is a cumulative histogram of how long runs waited for a
// browser slot, for the agent to export as
// sloagent_browser_queue_wait_seconds.
type WaitHistogram struct {
	Count uint64
	Sum   float64 // seconds
	// Buckets[i] counts waits of at most WaitBuckets[i] seconds.
	Buckets []uint64
}

// observeWait records one wait for a slot; gaveUp is a wait that ended
// without one.
func (b *Browser) observeWait(d time.Duration, gaveUp bool) {
	s := d.Seconds()
	b.mu.Lock()
	defer b.mu.Unlock()
	w := &b.stats.QueueWait
	if w.Buckets == nil {
		w.Buckets = make([]uint64, len(WaitBuckets))
	}
	w.Count++
	w.Sum += s
	for i, ub := range WaitBuckets {
		if s <= ub {
			w.Buckets[i]++
		}
	}
	if gaveUp {
		b.stats.QueueTimeouts++
	}
}
