package testutil

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/times"
)

// Every calls fn every d, with the tick's time, from a goroutine of its
// own until the test ends: the runs, evaluations and updates a test feeds
// a component while it watches it from outside.
func Every(t testing.TB, d time.Duration, fn func(now time.Time)) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { times.Every(ctx, d, fn) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}
