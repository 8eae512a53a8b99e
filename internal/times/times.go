// Package times holds the small time helpers that state and probes share:
// times packed into Unix nanoseconds for state kept in int64s (8 bytes
// where a time.Time takes 24), and the later of two times.
package times

import "time"

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
