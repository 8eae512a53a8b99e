package notify

import (
	"context"
	"testing"
	"time"
)

// waitFor polls cond until it holds or d passes: an SLO's alert takes
// over a minute to resolve, longer than testutil.WaitFor's bound.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
	}
}

// runNotifier runs n until the test ends.
func runNotifier(t *testing.T, n *Notifier) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}
