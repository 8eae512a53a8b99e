package slo

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// testdata/state-v1.db.gz is a state file of the first layout (a key per
// slot), written by the engine before blocks, and state-v2.db.gz one of
// the second (a bucket of blocks per SLO), written by the engine before
// slots: two SLOs (occurrences, and 5-minute timeslices) that saw a run
// every 5 minutes of January 2026, one in 13 failing, flushed every 10
// hours.
var v1SLOs = []Config{
	{Name: "occ", Probes: []string{"p"}, Objective: 99.9},
	{Name: "ts", Probes: []string{"p"}, Objective: 99, BudgetingMethod: Timeslices,
		Timeslice: TimesliceConfig{Length: dur(5 * time.Minute), GoodThreshold: 0.9}},
}

func v1Runs(e *Engine, c *clock) {
	for m := 0; m < 31*1440; m += 5 {
		at := t0.Add(time.Duration(m) * time.Minute)
		c.Set(at)
		e.Observe(Event{Probe: "p", Time: at, Success: (m/5)%13 != 0})
	}
}

// A file of an older layout is converted on open and gives the windows
// the engine computes from the same runs.
func TestStoreMigratesOlderLayouts(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"state-v1.db.gz", "state-v2.db.gz"} {
		t.Run(file, func(t *testing.T) { testMigrates(t, file) })
	}
}

func testMigrates(t *testing.T, file string) {
	dir := t.TempDir()
	gz, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, StateFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	last := t0.Add(31*24*time.Hour - 5*time.Minute)
	st := openStore(t, dir)
	defer st.Close()
	checkConverted(t, st, "occ", "ts")
	c := newClock(last)
	got := mustEngine(t, v1SLOs, st, c).Status()

	wc := newClock(t0)
	want := mustEngine(t, v1SLOs, nil, wc)
	v1Runs(want, wc)
	for i, w := range want.Status() {
		g := got[i]
		if g.Whole != w.Whole {
			t.Errorf("%s: converted window %+v, want %+v", w.Name, g.Whole, w.Whole)
		}
		for j := range w.Windows {
			if gw, ww := g.Windows[j], w.Windows[j]; gw != ww && !(isNaN(gw.SLI) && isNaN(ww.SLI)) {
				t.Errorf("%s: converted %s window %+v, want %+v", w.Name, ww.Name, gw, ww)
			}
		}
	}
	// Against the true counts: the 6h window is from minutes; 1d and 3d
	// start in a quarter hour, the SLO window in an hour, of which they
	// take a share as if its runs were spread evenly (here 4 of 15, or 4
	// of 60, minutes whose runs all lie before the window: 1 run). At
	// hh:mm:00 each window's edge minute lies wholly inside it, the run
	// at its very first instant with it.
	for _, tc := range []struct {
		window string
		d      time.Duration
		slack  uint64
	}{{"6h", 6 * time.Hour, 1}, {"1d", 24 * time.Hour, 1}, {"3d", 72 * time.Hour, 1}, {"slo", 30 * 24 * time.Hour, 1}} {
		var good, total uint64
		for m := 0; m < 31*1440; m += 5 {
			if at := t0.Add(time.Duration(m) * time.Minute); at.After(last.Add(-tc.d)) {
				total++
				if (m/5)%13 != 0 {
					good++
				}
			}
		}
		w := window(t, got[0], tc.window)
		if w.Good < good || w.Good > good+tc.slack || w.Events < total || w.Events > total+tc.slack {
			t.Errorf("%s window: %d good of %d, the runs were %d of %d", tc.window, w.Good, w.Events, good, total)
		}
	}
}

// checkConverted checks that st holds the named SLOs in the slot layout
// and nothing of the older ones.
func checkConverted(t *testing.T, st *Store, names ...string) {
	t.Helper()
	if _, err := os.Stat(st.path + ".compact"); err == nil {
		t.Error("the compacted copy was left beside the file")
	}
	if err := st.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSLOs) != nil {
			t.Error("the older layout's bucket is still there")
		}
		tags := map[byte]int{}
		if err := tx.Bucket(bucketSlots).ForEach(func(k, _ []byte) error {
			if tag, _, ok := parseSlotKey(k); ok {
				tags[tag]++
			}
			return nil
		}); err != nil {
			return err
		}
		if tags[tagFine] == 0 || tags[tagCoarse] == 0 {
			t.Errorf("no minutes or quarter hours after conversion: %v", tags)
		}
		for _, name := range names {
			if st.recs[name] == nil || tx.Bucket(bucketIndex).Get([]byte(name)) == nil {
				t.Errorf("SLO %s not in the index", name)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
