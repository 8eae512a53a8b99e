package sched

import (
	"context"
	"hash/fnv"
	"sort"
	"testing"
	"time"

	"github.com/sloagent/sloagent/agent/schedule"
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

// TestNamesSpreadUnderEveryHash checks that the benchmark's names are not
// bunched by the agent's offset hash nor by FNV-1a, the hash of agents up
// to 6d24c0f, so that both are measured under the same even load: at 1,000
// probes a second, about as few gaps under 100 µs between runs as random
// offsets give (1000 × (1 - e^-0.1) ≈ 95).
func TestNamesSpreadUnderEveryHash(t *testing.T) {
	const n, iv = 1000, time.Second
	hashes := map[string]func(string) time.Duration{
		"agent": func(name string) time.Duration { return schedule.Offset(name, iv) },
		"fnv-1a": func(name string) time.Duration {
			h := fnv.New64a()
			_, _ = h.Write([]byte(name))
			return time.Duration(h.Sum64() % uint64(iv))
		},
	}
	for hash, offset := range hashes {
		offs := make([]time.Duration, n)
		for i := range offs {
			offs[i] = offset(Name(i))
		}
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		close := 0
		for i := 1; i < n; i++ {
			if offs[i]-offs[i-1] < 100*time.Microsecond {
				close++
			}
		}
		if close > 140 {
			t.Errorf("%s: %d of %d gaps between runs under 100 µs, want about 95 as random offsets give", hash, close, n-1)
		}
	}
}

func TestNamesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := range 20000 {
		name := Name(i)
		if seen[name] {
			t.Fatalf("name %s twice", name)
		}
		seen[name] = true
	}
}
