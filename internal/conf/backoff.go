package conf

import "time"

// Backoff is an exponential delay between retries: First before the first
// retry, doubling with every failure in a row up to Max.
type Backoff struct {
	First, Max time.Duration
}

// Delay is the wait before the next attempt after failures failures in a
// row (1 or more).
func (b Backoff) Delay(failures int) time.Duration {
	d := b.First
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}
