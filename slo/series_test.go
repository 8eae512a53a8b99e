package slo

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// sums, which scrapes use, gives for every start what sum gives alone,
// including starts inside a quarter hour or an hour, and after a tier
// grew.
func TestSumsMatchSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ns := range [][]int{{422, 293, 722}, {422, 2985, 0}, {62, 101, 26}} {
		s := newSeries(ns)
		now := int64(29_000_000)
		for m := now - 40*1440; m <= now; m++ {
			if n := rng.IntN(4); n > 0 {
				s.add(m, m, int64(rng.IntN(n+1)), int64(n))
			}
		}
		for round := 0; round < 50; round++ {
			if round == 25 { // a grown minute tier holds only new minutes
				s = resize(s, []int{ns[0] * 2, ns[1], ns[2]}, now)
			}
			starts := make([]int64, 12)
			for i := range starts {
				starts[i] = now - rng.Int64N(35*1440)
			}
			starts = append(starts, now, now-14, now-15, now-60, now-1439)
			slices.Sort(starts)
			slices.Reverse(starts)
			out := make([]counts, len(starts))
			s.sums(now, starts, out)
			for i, from := range starts {
				if want := s.sum(from, now, now); out[i] != want {
					t.Fatalf("sizes %v, round %d: sums from %d (now-%d) = %+v, sum = %+v", ns, round, from, now-from, out[i], want)
				}
			}
			now += int64(rng.IntN(200))
			s.add(now, now, 1, 1)
		}
	}
}
