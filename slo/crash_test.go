package slo

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

// crashChildEnv names the state directory when the test binary runs as the
// process that is killed.
const crashChildEnv = "SLO_CRASH_CHILD_DIR"

var crashSLO = []Config{{Name: "crash", Probes: []string{"p"}, Objective: 99}}

// TestCrashChild is the process TestKillDuringRuns kills: it records runs
// as fast as it can, flushes every 20ms and prints how many runs each
// completed flush holds.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("only run by TestKillDuringRuns")
	}
	e := crashEngine(dir)
	next := time.Now().Add(20 * time.Millisecond)
	for n := 1; ; n++ {
		e.Observe(Event{Probe: "p", Success: n%3 != 0})
		if time.Now().After(next) {
			if err := e.Flush(); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Println("flushed", n)
			next = time.Now().Add(20 * time.Millisecond)
		}
	}
}

// crashEngine is the engine of a process to be killed, on the state in
// dir; an error is printed for the parent, which fails the test.
func crashEngine(dir string) *Engine {
	st, err := OpenStore(dir, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	e, err := NewEngine(crashSLO, st, nil, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	return e
}

// afterKill is the engine of the next process, on the state a killed
// child left in dir; its store is closed when the test ends.
func afterKill(t *testing.T, dir string) *Engine {
	t.Helper()
	st := openStore(t, dir)
	t.Cleanup(func() { st.Close() })
	e, err := NewEngine(crashSLO, st, nil, testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestKillDuringRuns kills a process with SIGKILL while it records runs
// and flushes: the state file opens cleanly afterwards and holds at least
// every run of the last completed flush, and no run that never happened.
func TestKillDuringRuns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	child := testutil.StartChild(t, "^TestCrashChild$", crashChildEnv+"="+dir)
	flushed := child.KillAfter(t, "flushed", 10)
	e := afterKill(t, dir)
	w := e.Status()[0].Whole
	// Flushes after the last one read may have completed before the kill;
	// the runs are numbered, so good = total - total/3 for a prefix.
	if w.Events < uint64(flushed) || w.Good != w.Events-w.Events/3 {
		t.Errorf("after the kill: %d good of %d runs; the last flush seen held %d", w.Good, w.Events, flushed)
	}
	t.Logf("last flush seen held %d runs, the file %d", flushed, w.Events)
}
