package testutil

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Every calls fn every d, with the tick's time, from a goroutine of its
// own until the test ends: the runs, evaluations and updates a test feeds
// a component while it watches it from outside.
func Every(t testing.TB, d time.Duration, fn func(now time.Time)) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(d)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				fn(now)
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
}
