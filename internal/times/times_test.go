package times

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestUnixNanoRoundTrip(t *testing.T) {
	if n := UnixNano(time.Time{}); n != 0 {
		t.Errorf("UnixNano(zero) = %d, want 0", n)
	}
	if got := FromUnixNano(0); !got.IsZero() {
		t.Errorf("FromUnixNano(0) = %s, want the zero time", got)
	}
	for _, at := range []time.Time{
		time.Date(2026, 12, 5, 4, 30, 0, 123456789, time.UTC),
		time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC), // before the epoch
	} {
		if got := FromUnixNano(UnixNano(at)); !got.Equal(at) {
			t.Errorf("round trip of %s gave %s", at, got)
		}
	}
}

func TestLater(t *testing.T) {
	a := time.Date(2026, 12, 5, 4, 30, 0, 0, time.UTC)
	b := a.Add(time.Nanosecond)
	if got := Later(a, b); !got.Equal(b) {
		t.Errorf("Later(a, b) = %s, want %s", got, b)
	}
	if got := Later(b, a); !got.Equal(b) {
		t.Errorf("Later(b, a) = %s, want %s", got, b)
	}
	if got := Later(time.Time{}, a); !got.Equal(a) {
		t.Errorf("Later(zero, a) = %s, want %s", got, a)
	}
}

func TestEvery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		var calls []time.Duration
		done := make(chan struct{})
		go func() {
			defer close(done)
			Every(ctx, time.Minute, func(now time.Time) { calls = append(calls, now.Sub(start)) })
		}()
		time.Sleep(3*time.Minute + time.Second)
		synctest.Wait()
		want := []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute}
		if !slices.Equal(calls, want) {
			t.Errorf("calls after %s, want %s", calls, want)
		}
		cancel()
		<-done // returns once ctx is done
		time.Sleep(time.Hour)
		if len(calls) != len(want) {
			t.Errorf("%d calls after ctx was done", len(calls)-len(want))
		}
	})
}
