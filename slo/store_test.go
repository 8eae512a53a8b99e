package slo

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	bolt "go.etcd.io/bbolt"
)

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenStore(dir, testutil.Logger(t))
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

// A damaged state file never crashes the agent, and is kept for a
// post-mortem: a file that cannot be opened (cut short, empty, overwritten,
// both meta pages damaged) is moved aside and the agent starts with no
// history; one whose last meta page is damaged is opened from the other,
// as bbolt does after a torn write, keeping its history, and a copy of it
// is kept. Cut to a quarter, the file used to crash the agent with SIGBUS
// inside bbolt's memory map at every start; cut to a half, the first
// flush panicked; empty, it was silently made a new file.
func TestStoreCorruptFileMovedAside(t *testing.T) {
	t.Parallel()
	cut := func(frac float64) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			writeValidState(t, path)
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, int64(float64(info.Size())*frac)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, damage := range map[string]func(t *testing.T, path string){
		"garbage": func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"cut to 100 bytes":  func(t *testing.T, path string) { writeValidState(t, path); os.Truncate(path, 100) },
		"cut to a quarter":  cut(0.25),
		"cut to a half":     cut(0.5),
		"last page cut":     cutLastPage,
		"empty (0 bytes)":   cut(0),
		"both meta flipped": func(t *testing.T, path string) { writeValidState(t, path); flipMeta(t, path, 0); flipMeta(t, path, 1) },
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
			damage(t, filepath.Join(dir, StateFile))
			st, aside, logs := openDamaged(t, dir)
			if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "moved it aside") ||
				!strings.Contains(logs, aside) {
				t.Errorf("no clear log line: %s", logs)
			}
			// The fresh store works.
			c := newClock(t0)
			e := mustEngine(t, storeSLOs, st, c)
			if w := e.Status()[0].Whole; w.Events != 0 {
				t.Errorf("history after the file was moved aside: %+v", w)
			}
			runDays(e, c, t0, 10)
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// One damaged meta page: the file opens from the other one with its
// history (as of the flush before the last at worst), and a copy of the
// damaged file is kept.
func TestStoreOneMetaPageDamaged(t *testing.T) {
	t.Parallel()
	for _, page := range []int{0, 1} {
		t.Run(fmt.Sprint("meta ", page), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, StateFile)
			want := writeValidState(t, path)
			flipMeta(t, path, page)
			st, aside, logs := openDamaged(t, dir)
			if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, aside) {
				t.Errorf("no clear log line: %s", logs)
			}
			c := newClock(t0.Add(3 * 24 * time.Hour))
			e := mustEngine(t, storeSLOs, st, c)
			// The writes before the last: the windows lost at most the
			// last flush's runs.
			if got := e.Status()[0].Whole; got.Events == 0 || got.Events > want.Events {
				t.Errorf("history after opening from the other meta page: %+v, at the last flush %+v", got, want)
			}
			runDays(e, c, t0.Add(3*24*time.Hour), 10)
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// openDamaged opens the store in dir over its damaged state file and
// checks that a copy of the damaged file, byte for byte, was kept beside
// it. It returns the store, closed when the test ends, the copy's path and
// what the store logged.
func openDamaged(t *testing.T, dir string) (*Store, string, string) {
	t.Helper()
	path := filepath.Join(dir, StateFile)
	damaged, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	st, err := OpenStore(dir, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("OpenStore refused a damaged file: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("no copy of the damaged file: %v", aside)
	}
	if kept, err := os.ReadFile(aside[0]); err != nil || !bytes.Equal(kept, damaged) {
		t.Errorf("the copy is not the damaged file (%d bytes, want %d): %v", len(kept), len(damaged), err)
	}
	return st, aside[0], logs.String()
}

// flipMeta flips a byte of the root page number in meta page i, which
// its checksum covers.
func flipMeta(t *testing.T, path string, i int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	const pageHeaderSize = 16 // bbolt's, before a meta page's fields
	off := int64(i*4096 + pageHeaderSize + 16)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5A
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// cutLastPage cuts the last page the file uses (bbolt's file may be
// longer than its pages, and a cut there loses nothing).
func cutLastPage(t *testing.T, path string) {
	writeValidState(t, path)
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var used int64 // the pages in use, in bytes
	_ = db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	pageSize := int64(db.Info().PageSize)
	db.Close()
	if err := os.Truncate(path, used-pageSize); err != nil {
		t.Fatal(err)
	}
}

// writeValidState writes a state file of three days of runs, flushed
// every hour, and returns the first SLO's window at the end.
func writeValidState(t *testing.T, path string) WindowStatus {
	t.Helper()
	st := openStore(t, filepath.Dir(path))
	c := newClock(t0)
	e := mustEngine(t, storeSLOs, st, c)
	for h := 0; h < 3*24; h++ {
		runDays(e, c, t0.Add(time.Duration(h)*time.Hour), 60)
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	w := e.Status()[0].Whole
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	return w
}

// A second process on the same state directory gets an error in bounded
// time, and the file in use is left alone.
func TestStoreLockedFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := openStore(t, dir)
	defer st.Close()
	start := time.Now()
	_, err := OpenStore(dir, testutil.Logger(t))
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
	occ := st.recs["occ"].id
	c.Add(RemovedRetention + time.Hour)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := st.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketIndex).Get([]byte("occ")) != nil {
			t.Errorf("history of an SLO removed %v ago still stored", RemovedRetention+time.Hour)
		}
		if tx.Bucket(bucketIndex).Get([]byte("ts")) == nil {
			t.Errorf("history of a configured SLO deleted")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := storedEntries(t, st, occ)[tagCoarse]; n != 0 {
		t.Errorf("%d quarter hours of an SLO removed %v ago still stored", n, RemovedRetention+time.Hour)
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
	stored := storedEntries(t, st, st.recs["short"].id)
	fine, coarse := stored[tagFine], stored[tagCoarse]
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
	// 30 days of whole minutes and half of the minute before: the window
	// is (now-30d, now], and the runs of a minute it covers in part are
	// taken as spread evenly over it.
	if w.Whole.Events != 30*1440*3+2 {
		t.Errorf("SLO window holds %d runs, want %d", w.Whole.Events, 30*1440*3+2)
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

// storedEntries counts the slots of each tag holding an entry of the SLO
// numbered id, or of any SLO for id 0.
func storedEntries(t *testing.T, st *Store, id uint32) map[byte]int {
	t.Helper()
	n := map[byte]int{}
	if err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSlots).ForEach(func(k, v []byte) error {
			tag, _, ok := parseSlotKey(k)
			es, err := decodeEntries(nil, v)
			if !ok || err != nil {
				t.Errorf("slot %x: key ok %v, %v", k, ok, err)
			}
			for _, e := range es {
				if id == 0 || e.id == id {
					n[tag]++
					break
				}
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// A flush with nothing new to write does not touch the file.
func TestFlushSkippedWhenNothingChanged(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	defer st.Close()
	c := newClock(t0)
	e := mustEngine(t, storeSLOs, st, c)
	txid := func() (id int) {
		_ = st.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
		return id
	}
	runDays(e, c, t0, 5)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	before := txid()
	for range 3 {
		c.Add(time.Minute)
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if after := txid(); after != before {
		t.Errorf("flushes without runs wrote %d transactions", after-before)
	}
	runDays(e, c, c.Now(), 1)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if after := txid(); after != before+1 {
		t.Errorf("a flush with runs wrote %d transactions, want 1", after-before)
	}
}

// SLOs of different windows share the file's slots; each keeps only what
// its own tiers reach, so a one-day SLO beside a 30-day one does not keep
// its quarter hours for the other's three days.
func TestStoreKeepsEachSLOsReach(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	defer st.Close()
	c := newClock(t0)
	cfgs := []Config{
		{Name: "short", Probes: []string{"p"}, Objective: 99, Window: WindowConfig{Rolling: dur(24 * time.Hour)}},
		{Name: "long", Probes: []string{"p"}, Objective: 99},
		{Name: "month", Probes: []string{"p"}, Objective: 99, Window: WindowConfig{Calendar: Month, TimeZone: "UTC"}},
	}
	e := mustEngine(t, cfgs, st, c)
	for h := 0; h < 4*24; h++ {
		runDays(e, c, t0.Add(time.Duration(h)*time.Hour), 60)
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for _, st0 := range e.snap.Load().slos {
		got := storedEntries(t, st, st.recs[st0.name].id)
		if want := int(st0.raw.minutes().n); got[tagFine] > want {
			t.Errorf("%s: %d minutes stored, its tier holds %d", st0.name, got[tagFine], want)
		}
		if want := int(st0.raw.quarters().n); got[tagCoarse] > want {
			t.Errorf("%s: %d quarter hours stored, its tier holds %d", st0.name, got[tagCoarse], want)
		}
		if h := st0.raw.hours(); h == nil && got[tagHours] > 0 || h != nil && got[tagHours] > int(h.n) {
			t.Errorf("%s: %d hours stored", st0.name, got[tagHours])
		}
	}
	// Each one's windows come back whole after a restart.
	before := e.Status()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	after := mustEngine(t, cfgs, st, c).Status()
	for i := range before {
		if before[i].Whole != after[i].Whole {
			t.Errorf("%s after a restart: %+v, before %+v", before[i].Name, after[i].Whole, before[i].Whole)
		}
	}
}

// An SLO left out of the config at a restart keeps its history for
// RemovedRetention from the last flush it was configured at.
func TestStoreRemovedAtRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newClock(t0)
	st := openStore(t, dir)
	e := mustEngine(t, storeSLOs, st, c)
	runDays(e, c, t0, 120)
	want := e.Status()[0].Whole
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	restart := func(cfgs []Config, d time.Duration) *Engine {
		c.Add(d)
		st = openStore(t, dir)
		e := mustEngine(t, cfgs, st, c)
		runDays(e, c, c.Now(), 10)
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		return e
	}
	restart(storeSLOs[1:], time.Hour)
	st.Close()
	restart(storeSLOs[1:], 20*24*time.Hour)
	st.Close()
	// Back within the window: the runs it had are there, and ten more.
	if got := restart(storeSLOs, time.Hour).Status()[0].Whole; got.Events != want.Events+100 {
		t.Errorf("re-added after 21 days: %d runs, want %d", got.Events, want.Events+100)
	}
	st.Close()
	restart(storeSLOs[1:], time.Hour)
	st.Close()
	restart(storeSLOs[1:], RemovedRetention)
	defer st.Close()
	if st.recs["occ"] != nil {
		t.Errorf("an SLO gone for %v is still in the index", RemovedRetention)
	}
	if st.recs["ts"] == nil {
		t.Error("a configured SLO is not in the index")
	}
}
