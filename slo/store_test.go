package slo

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenStore(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var storeSLOs = []Config{
	{Name: "occ", Probes: []string{"p"}, Objective: 99},
	{Name: "ts", Probes: []string{"p"}, Objective: 99, BudgetingMethod: Timeslices,
		Timeslice: TimesliceConfig{Length: dur(5 * time.Minute), GoodThreshold: 0.9}},
}

// runDays records 10 runs a minute for days, one bad run in every minute
// divisible by 7, starting at from.
func runDays(e *Engine, c *clock, from time.Time, minutes int) {
	for m := 0; m < minutes; m++ {
		start := from.Add(time.Duration(m) * time.Minute)
		c.Set(start.Add(59 * time.Second))
		bad := 0
		if m%7 == 0 {
			bad = 1
		}
		observeMinute(e, "p", start, 10, bad)
	}
}

// A clean restart keeps everything; the time the agent was down is no data.
func TestStoreRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newClock(t0)
	st := openStore(t, dir)
	e := mustEngine(t, storeSLOs, st, c)
	runDays(e, c, t0, 5*1440) // five days: both tiers in use
	before := e.Status()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir)
	defer st.Close()
	e = mustEngine(t, storeSLOs, st, c)
	after := e.Status()
	for i := range before {
		b, a := before[i], after[i]
		if a.Whole != b.Whole {
			t.Errorf("%s: window after restart %+v, before %+v", b.Name, a.Whole, b.Whole)
		}
		for j := range b.Windows {
			if a.Windows[j] != b.Windows[j] && !(isNaN(a.Windows[j].SLI) && isNaN(b.Windows[j].SLI)) {
				t.Errorf("%s: %s after restart %+v, before %+v", b.Name, b.Windows[j].Name, a.Windows[j], b.Windows[j])
			}
		}
		if a.Events != 0 {
			t.Errorf("%s: counters start at 0 in a new process, got %d", b.Name, a.Events)
		}
	}
	// Down for two hours: the short windows are empty, not good.
	c.Add(2 * time.Hour)
	s := e.Status()[0]
	if w := window(t, s, "1h"); w.HasData() || !isNaN(w.SLI) {
		t.Errorf("1h window after 2h down: %+v", w)
	}
	approx(t, "budget after downtime", s.BudgetRemaining, before[0].BudgetRemaining)
	// 5*1440 minutes, ceil(7200/7) bad.
	total, bad := 5*1440*10, (5*1440+6)/7
	if s.Whole.Events != uint64(total) || s.Whole.Events-s.Whole.Good != uint64(bad) {
		t.Errorf("window after restart: %d bad of %d, want %d of %d", s.Whole.Events-s.Whole.Good, s.Whole.Events, bad, total)
	}
}

// After a crash (no flush, no close) the runs up to the last flush remain.
func TestStoreCrashKeepsLastFlush(t *testing.T) {
	dir := t.TempDir()
	c := newClock(t0)
	st := openStore(t, dir)
	e := mustEngine(t, storeSLOs[:1], st, c)
	runDays(e, c, t0, 90)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	flushed := e.Status()[0].Whole
	runDays(e, c, t0.Add(90*time.Minute), 30) // lost with the crash
	// Release the file the way a dying process does, without writing.
	if err := st.db.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir)
	defer st.Close()
	e = mustEngine(t, storeSLOs[:1], st, c)
	if got := e.Status()[0].Whole; got != flushed {
		t.Errorf("after the crash %+v, want what was flushed %+v", got, flushed)
	}
}

func TestStoreCorruptFileMovedAside(t *testing.T) {
	t.Parallel()
	for name, damage := range map[string]func(t *testing.T, path string){
		"garbage": func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"truncated": func(t *testing.T, path string) {
			writeValidState(t, path)
			if err := os.Truncate(path, 100); err != nil {
				t.Fatal(err)
			}
		},
		"pages overwritten": func(t *testing.T, path string) {
			writeValidState(t, path)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			// Keep both meta pages, ruin every page after them.
			info, _ := f.Stat()
			junk := bytes.Repeat([]byte{0xA5}, int(info.Size())-2*4096)
			if _, err := f.WriteAt(junk, 2*4096); err != nil {
				t.Fatal(err)
			}
			f.Close()
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, StateFile)
			damage(t, path)
			var logs bytes.Buffer
			st, err := OpenStore(dir, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatalf("OpenStore refused a damaged file: %v", err)
			}
			defer st.Close()
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("damaged file not moved aside: %v", aside)
			}
			if !strings.Contains(logs.String(), "moved it aside") || !strings.Contains(logs.String(), aside[0]) {
				t.Errorf("no clear log line: %s", logs.String())
			}
			// The fresh store works.
			c := newClock(t0)
			e := mustEngine(t, storeSLOs, st, c)
			runDays(e, c, t0, 10)
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func writeValidState(t *testing.T, path string) {
	t.Helper()
	st := openStore(t, filepath.Dir(path))
	c := newClock(t0)
	e := mustEngine(t, storeSLOs, st, c)
	runDays(e, c, t0, 3*1440)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()
}

// A second process on the same state directory gets an error in bounded
// time, and the file in use is left alone.
func TestStoreLockedFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := openStore(t, dir)
	defer st.Close()
	start := time.Now()
	_, err := OpenStore(dir, testLogger(t))
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second open: %v", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("second open took %v", d)
	}
	if aside, _ := filepath.Glob(filepath.Join(dir, "*.corrupt-*")); len(aside) != 0 {
		t.Errorf("a locked file was moved aside: %v", aside)
	}
}

func TestStoreUnusableDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(filepath.Join(file, "state"), nil); err == nil {
		t.Fatal("OpenStore under a regular file succeeded")
	}
	if os.Geteuid() == 0 || runtime.GOOS == "windows" {
		return // root writes anywhere; Windows ignores the mode
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if _, err := OpenStore(dir, nil); err == nil || !strings.Contains(err.Error(), "creating state file") {
		t.Fatalf("OpenStore in a read-only directory: %v", err)
	}
}

// A removed SLO's history stays in the store and comes back with it,
// until it has been gone for RemovedRetention.
func TestStoreRemovedSLOKept(t *testing.T) {
	dir := t.TempDir()
	c := newClock(t0)
	st := openStore(t, dir)
	defer st.Close()
	e := mustEngine(t, storeSLOs, st, c)
	runDays(e, c, t0, 60)
	want := e.Status()[0].Whole
	if err := e.Update(storeSLOs[1:]); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := e.Update(storeSLOs); err != nil {
		t.Fatal(err)
	}
	if got := e.Status()[0].Whole; got != want {
		t.Errorf("re-added SLO: %+v, want %+v", got, want)
	}

	if err := e.Update(storeSLOs[1:]); err != nil {
		t.Fatal(err)
	}
	c.Add(RemovedRetention + time.Hour)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := st.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSLOs).Bucket([]byte("occ")) != nil {
			t.Errorf("history of an SLO removed %v ago still stored", RemovedRetention+time.Hour)
		}
		if tx.Bucket(bucketSLOs).Bucket([]byte("ts")) == nil {
			t.Errorf("history of a configured SLO deleted")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// Slices that fall out of every window are deleted from the file, so it
// does not grow without bound.
func TestStorePrunes(t *testing.T) {
	dir := t.TempDir()
	c := newClock(t0)
	st := openStore(t, dir)
	defer st.Close()
	cfg := []Config{{Name: "short", Probes: []string{"p"}, Objective: 99, Window: WindowConfig{Rolling: dur(24 * time.Hour)}}}
	e := mustEngine(t, cfg, st, c)
	runDays(e, c, t0, 4*1440)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	var fine, coarse int
	if err := st.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSLOs).Bucket([]byte("short"))
		count := func(l layout) (n int) {
			_ = b.ForEach(func(k, v []byte) error {
				if tag, start, ok := blockStart(k); ok && tag == l.tag {
					block{start, l.slotSecs, v}.each(func(int64, counts) { n++ })
				}
				return nil
			})
			return n
		}
		fine, coarse = count(tierFine), count(tierCoarse)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st0 := e.snap.Load().slos[0]
	// The quarter hours cover what the hour tier reaches back to.
	needFine, needCoarse := int(st0.raw.minutes().n), int(st0.raw.tiers[2].n)*4
	if fine > needFine || coarse > needCoarse {
		t.Errorf("store keeps %d minutes and %d quarter hours, the SLO needs at most %d and %d",
			fine, coarse, needFine, needCoarse)
	}
}

// A restart with a longer window (so a longer fine tier) takes the minutes
// the file does not have from its quarter hours.
func TestStoreRestartWithLongerWindow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newClock(t0)
	st := openStore(t, dir)
	e := mustEngine(t, storeSLOs[:1], st, c)
	runDays(e, c, t0, 5*1440)
	want := e.Status()[0].Whole
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	longer := storeSLOs[0]
	longer.Window = WindowConfig{Rolling: dur(90 * 24 * time.Hour)}
	e = mustEngine(t, []Config{longer}, st, c)
	s := e.Status()[0]
	if s.Whole.Events != want.Events || s.Whole.Good != want.Good {
		t.Errorf("after restart with 90d: %d good of %d, want %d of %d", s.Whole.Good, s.Whole.Events, want.Good, want.Events)
	}
	if w := window(t, s, "9d"); w.Events != want.Events {
		t.Errorf("9d window: %d runs, want %d", w.Events, want.Events)
	}
	if w := window(t, s, "3d"); w.Events != 3*1440*10 {
		t.Errorf("3d window: %d runs, want %d", w.Events, 3*1440*10)
	}
}

// WriteHistory stores what an engine counting the same runs would have
// flushed: an engine opening the store shows the same windows.
func TestWriteHistory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := openStore(t, dir)
	defer st.Close()
	end := t0.Add(31 * 24 * time.Hour).Add(-time.Minute)
	runs := func(m time.Time) (uint32, uint32) {
		if m.Unix()/60%7 == 0 {
			return 2, 3
		}
		return 3, 3
	}
	if err := st.WriteHistory([]string{"occ", "other"}, t0, end, runs); err != nil {
		t.Fatal(err)
	}
	c := newClock(end.Add(30 * time.Second))
	got := mustEngine(t, storeSLOs[:1], st, c).Status()[0]

	wc := newClock(t0)
	want := mustEngine(t, storeSLOs[:1], nil, wc)
	for m := t0; !m.After(end); m = m.Add(time.Minute) {
		wc.Set(m.Add(30 * time.Second))
		g, n := runs(m)
		for i := uint32(0); i < n; i++ {
			want.Observe(Event{Probe: "p", Time: m.Add(time.Duration(i) * time.Second), Success: i < g})
		}
	}
	w := want.Status()[0]
	if got.Whole != w.Whole {
		t.Errorf("SLO window from WriteHistory %+v, counted %+v", got.Whole, w.Whole)
	}
	for i := range w.Windows {
		if got.Windows[i] != w.Windows[i] {
			t.Errorf("%s window from WriteHistory %+v, counted %+v", w.Windows[i].Name, got.Windows[i], w.Windows[i])
		}
	}
	if w.Whole.Events != 30*1440*3 {
		t.Errorf("SLO window holds %d runs, want %d", w.Whole.Events, 30*1440*3)
	}
}

// A rolling SLO keeps quarter hours for days and hours beyond; made a
// calendar one (on reload or at a restart) it keeps its whole history, the
// older part in the hours' first quarter hours.
func TestRollingToCalendarKeepsHistory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newClock(t0)
	st := openStore(t, dir)
	e := mustEngine(t, storeSLOs[:1], st, c)
	runDays(e, c, t0, 10*1440)
	total := uint64(10 * 1440 * 10)
	calendar := storeSLOs[0]
	calendar.Window = WindowConfig{Calendar: Month, TimeZone: "UTC"}
	if err := e.Update([]Config{calendar}); err != nil {
		t.Fatal(err)
	}
	if w := e.Status()[0].Whole; w.Events != total {
		t.Errorf("after the reload to a calendar month: %d runs, want %d", w.Events, total)
	}
	if err := e.Update(storeSLOs[:1]); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	s := mustEngine(t, []Config{calendar}, st, c).Status()[0]
	if s.Whole.Events != total || s.Whole.Events-s.Whole.Good != (10*1440+6)/7 {
		t.Errorf("after a restart as a calendar month: %d bad of %d runs, want %d of %d", s.Whole.Events-s.Whole.Good, s.Whole.Events, (10*1440+6)/7, total)
	}
}

// Down for four days, longer than quarter hours are kept: the SLO window
// takes the older runs from hours.
func TestStoreRestartAfterDays(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newClock(t0)
	st := openStore(t, dir)
	e := mustEngine(t, storeSLOs[:1], st, c)
	runDays(e, c, t0, 5*1440)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	c.Add(4 * 24 * time.Hour)
	st = openStore(t, dir)
	defer st.Close()
	s := mustEngine(t, storeSLOs[:1], st, c).Status()[0]
	if total, bad := uint64(5*1440*10), uint64((5*1440+6)/7); s.Whole.Events != total || s.Whole.Events-s.Whole.Good != bad {
		t.Errorf("after four days down: %d bad of %d, want %d of %d", s.Whole.Events-s.Whole.Good, s.Whole.Events, bad, total)
	}
	if w := window(t, s, "3d"); w.HasData() {
		t.Errorf("3d window after four days down: %+v", w)
	}
}
