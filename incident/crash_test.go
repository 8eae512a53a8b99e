package incident

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

const crashEnv = "INCIDENT_CRASH_DIR"

// TestCrashChild is the process TestIncidentSurvivesKill kills: a probe
// fails run after run; it prints how many failed runs each tick wrote.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("only run by TestIncidentSurvivesKill")
	}
	st, err := OpenStore(dir, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	tr, err := NewTracker(Config{}, Source{Agent: "a1"}, st, nil, nil, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for n := 1; ; n++ {
		tr.Record(Run{Probe: "p", Time: time.Now(), Reason: "connect", Message: "connection refused"})
		if n%20 == 0 {
			tr.Tick()
			fmt.Println("ticked", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A process killed with SIGKILL during an outage: the next one finds the
// incident open with at least the failed runs of the last tick, carries
// it on, and closes it after recovery.
func TestIncidentSurvivesKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	child := testutil.StartChild(t, "^TestCrashChild$", crashEnv+"="+dir)
	ticked := int(child.KillAfter(t, "ticked", 5))

	st := openStore(t, dir)
	c := &clock{}
	c.Set(time.Now())
	tr, err := NewTracker(Config{}, Source{Agent: "a1"}, st, nil, c.Now, testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	open := tr.Open()
	if len(open) != 1 {
		t.Fatalf("%d open incidents after the kill", len(open))
	}
	inc := open[0]
	if inc.ID != "1" || inc.FailedRuns < ticked || len(inc.Timeline) < 2 || inc.Timeline[0].Kind != KindFirstFailure ||
		inc.Messages[0].Count != inc.FailedRuns {
		t.Errorf("after the kill: %d failed runs (the last tick held %d), timeline %+v", inc.FailedRuns, ticked, inc.Timeline)
	}
	// It goes on, though the new process never saw the probe fail: a
	// recovery, closed 10m later.
	tr.Record(Run{Probe: "p", Time: c.Now().Add(time.Second), Success: true})
	c.Set(c.Now().Add(DefaultCloseAfter + 2*time.Second))
	tr.Tick()
	got, ok := tr.Get("1")
	if !ok || got.Open() || got.FailedRuns != inc.FailedRuns || got.Recovered.IsZero() {
		t.Errorf("after recovery: %+v", got)
	}
}

// openStore opens the incident store in dir until the test ends.
func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	st, err := OpenStore(dir, testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
