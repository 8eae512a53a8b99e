package slo

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// A ring keeps every count exactly while its width grows from one bit to
// 32, while it keeps bad runs by position and after it keeps
// good counts instead, and narrows again when emptied: checked against a
// plain map of the same adds, with counts crossing 255 and 65,535.
func TestTierWidthsExact(t *testing.T) {
	for _, badShare := range []float64{0.002, 0.03, 0.5} {
		t.Run(fmt.Sprint("bad share ", badShare), func(t *testing.T) { testTierExact(t, badShare) })
	}
}

func testTierExact(t *testing.T, badShare float64) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 97
	tr := newTier(1, n)
	want := map[int64]cell{}
	head := int64(1000)
	check := func(step int) {
		t.Helper()
		for idx := head - n + 1; idx <= head; idx++ {
			c := want[idx]
			if got := tr.get(idx); got != (counts{uint64(c.good), uint64(c.total)}) {
				t.Fatalf("step %d, width %d: slot %d holds %+v, want %+v", step, tr.w, idx, got, c)
			}
		}
		for k := 0; k < 5; k++ {
			a := head - n + 1 + rng.Int64N(n)
			b := a + rng.Int64N(head-a+1)
			var c counts
			for idx := a; idx <= b; idx++ {
				c.add(counts{uint64(want[idx].good), uint64(want[idx].total)})
			}
			if got := tr.rangeSum(a, b); got != c {
				t.Fatalf("step %d, width %d: slots %d to %d sum to %+v, want %+v", step, tr.w, a, b, got, c)
			}
		}
	}
	for step := range 3000 {
		if step%50 == 0 {
			head += rng.Int64N(5)
			tr.advance(head)
			for idx := range want {
				if idx <= head-n {
					delete(want, idx)
				}
			}
		}
		idx := head - rng.Int64N(n)
		// Mostly small adds, now and then one that needs a wider ring.
		dt := int64(1 + rng.IntN(3))
		switch rng.IntN(400) {
		case 0:
			dt = 300
		case 1:
			dt = 70_000
		}
		dg := dt
		if rng.Float64() < badShare {
			dg = rng.Int64N(dt)
		}
		if !tr.add(idx, head, dg, dt) {
			t.Fatalf("step %d: slot %d (head %d) refused", step, idx, head)
		}
		c := want[idx]
		want[idx] = cell{c.good + uint32(dg), c.total + uint32(dt)}
		if step%100 == 0 {
			check(step)
		}
	}
	check(3000)
	if tr.w != 32 {
		t.Errorf("width %d bits after counts above 65,535, want 32", tr.w)
	}
	// Few bad runs stay a list; a list never takes more than good counts
	// would (at 32 bits a list of every slot takes as much).
	if badShare < 0.1 && tr.dense {
		t.Errorf("bad runs in a share %v of adds: dense", badShare)
	}
	if !tr.dense && len(tr.bads)*4 > len(tr.b) {
		t.Errorf("bad runs in a share %v of adds: %d slots listed in %d bytes of totals", badShare, len(tr.bads), len(tr.b))
	}
	dirty := 0
	tr.takeDirty(func(idx int64, c counts) {
		dirty++
		if w := want[idx]; c != (counts{uint64(w.good), uint64(w.total)}) {
			t.Errorf("dirty slot %d: %+v, want %+v", idx, c, w)
		}
	})
	if dirty == 0 {
		t.Error("no dirty slots")
	}
	tr.reset(head)
	if tr.w != 1 || tr.dense || len(tr.b) != (n+7)/8 || len(tr.bads) != 0 {
		t.Errorf("after reset: width %d bits, dense %v, %d bytes, %d bad slots; want 1, false, %d, 0", tr.w, tr.dense, len(tr.b), len(tr.bads), (n+7)/8)
	}
}

// A good count can fall (a slice judged bad after all) without touching
// the total, at every width.
func TestTierAddNegative(t *testing.T) {
	for _, total := range []int64{3, 300, 70_000} {
		tr := newTier(15, 10)
		tr.add(5, 5, total, total)
		tr.add(5, 5, -1, 0)
		if got := tr.get(5); got != (counts{uint64(total - 1), uint64(total)}) {
			t.Errorf("total %d: %+v after one good taken back", total, got)
		}
	}
}

// Counts of every width up to a byte sum exactly from and to any
// position, in both forms, as the tiers of a probe running every 60 s
// (1, 15 and 60 runs a slot) or 20 s (3, 45 and 180) keep them, and the
// largest count of each width.
func TestCellsSmallWidths(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, most := range []uint32{1, 3, 5, 7, 15, 31, 45, 60, 63, 100, 127, 180} {
		for _, dense := range []bool{false, true} {
			const n = 131
			c := newCells(n)
			want := make([]cell, n)
			for p := range want {
				v := cell{total: uint32(rng.IntN(int(most) + 1))}
				v.good = v.total
				if dense && v.total > 0 {
					v.good = uint32(rng.IntN(int(v.total) + 1))
				}
				want[p] = v
				c.store(p, v)
			}
			if c.w > uint8(bits.Len32(most)) || c.dense != dense {
				t.Errorf("counts up to %d: width %d bits, dense %v", most, c.w, c.dense)
			}
			for range 500 {
				p := rng.IntN(n)
				k := rng.IntN(n - p + 1)
				var g, tot uint64
				for _, v := range want[p : p+k] {
					g += uint64(v.good)
					tot += uint64(v.total)
				}
				if gg, tt := c.sum(p, k); gg != g || tt != tot {
					t.Fatalf("counts up to %d, dense %v, width %d: slots %d+%d sum to %d/%d, want %d/%d", most, c.dense, c.w, p, k, gg, tt, g, tot)
				}
			}
			for p, v := range want {
				if got := c.load(p); got != v {
					t.Fatalf("counts up to %d: slot %d holds %+v, want %+v", most, p, got, v)
				}
			}
		}
	}
}

// A slot's bad runs beyond what a list entry holds make the ring dense,
// whichever way they come, and stay exact.
func TestCellsManyBad(t *testing.T) {
	for _, bad := range []uint32{maxBad, maxBad + 1, 1 << 20} {
		c := newCells(100)
		c.store(3, cell{good: 5, total: 6})
		c.store(40, cell{good: 1, total: bad + 1})
		if got := c.load(40); got != (cell{1, bad + 1}) {
			t.Errorf("%d bad runs stored: slot holds %+v", bad, got)
		}
		if c.dense != (bad > maxBad) {
			t.Errorf("%d bad runs stored: dense %v", bad, c.dense)
		}
		c = newCells(100)
		c.store(3, cell{good: 5, total: 6})
		c.store(40, cell{good: 0, total: bad})
		if !c.addAt(40, 0, 1) {
			c.store(40, cell{0, bad + 1})
		}
		if got, want := c.load(40), (cell{0, bad + 1}); got != want {
			t.Errorf("%d bad runs and one more: slot holds %+v, want %+v", bad, got, want)
		}
		if g, n := c.sum(0, 100); g != 5 || n != uint64(bad)+7 {
			t.Errorf("%d bad runs and one more: sum %d/%d, want 5/%d", bad, g, n, bad+7)
		}
	}
}
