package sched

import (
	"context"
	"testing"
	"time"
)

func TestOffsetsSortedWithinInterval(t *testing.T) {
	iv := time.Second
	offs := Offsets(500, iv)
	for i, o := range offs {
		if o < 0 || o >= iv {
			t.Fatalf("offset %s outside the interval", o)
		}
		if i > 0 && o < offs[i-1] {
			t.Fatalf("offsets not sorted at %d", i)
		}
	}
	again := Offsets(500, iv)
	for i := range offs {
		if offs[i] != again[i] {
			t.Fatal("offsets differ between calls")
		}
	}
}

func TestRunFiresEachProbeAtItsSlot(t *testing.T) {
	const n, iv = 20, 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	planned := make(chan time.Time, 2*n)
	go Run(ctx, n, iv, func(p time.Time) {
		select {
		case planned <- p:
		default:
			cancel()
		}
	})
	offs := Offsets(n, iv)
	var base time.Time
	for k := range 2 * n {
		p := <-planned
		if k == 0 {
			base = p.Add(-offs[0])
		}
		if want := base.Add(time.Duration(k/n)*iv + offs[k%n]); !p.Equal(want) {
			t.Fatalf("run %d planned at %s, want %s", k, p, want)
		}
	}
}
