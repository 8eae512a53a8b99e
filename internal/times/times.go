// Package times holds the small time helpers that state and probes share:
// times packed into Unix nanoseconds for state kept in int64s (8 bytes
// where a time.Time takes 24), the later of two times, and the loop that
// does something every interval until it is told to stop.
package times

import (
	"context"
	"time"
)

// UnixNano is t in Unix nanoseconds, and 0 for the zero time, so that a
// packed field that was never set reads back as the zero time.
func UnixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// FromUnixNano is the time of Unix nanoseconds n, and the zero time for 0:
// the inverse of UnixNano.
func FromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Later is the later of a and b.
func Later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Every calls fn every d, with the tick's time, until ctx is done, and
// then returns. The first call comes d after the start; a call that takes
// longer than d is followed by the next one at once, not by several.
func Every(ctx context.Context, d time.Duration, fn func(now time.Time)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			fn(now)
		}
	}
}
