package incident

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/sloagent/sloagent/slo"
)

// TestMemoryPerIncident measures what the tracker keeps of a network
// partition: every probe failing with the same message, its SLO's page and
// ticket alerts firing, one incident each. The figure is logged (go test
// -v -run MemoryPerIncident) and bounded here.
func TestMemoryPerIncident(t *testing.T) {
	const n = 1000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr, err := NewTracker(Config{}, Source{Agent: "a"}, nil, nil, func() time.Time { return t0 }, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, n)
	slos := make([][]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("p%05d", i)
		slos[i] = []string{"slo-" + names[i]}
	}
	phases := func() []Phase {
		return []Phase{{"resolve", time.Microsecond}, {"connect", 200 * time.Microsecond}}
	}
	fire := func(i int, sev string, at time.Time) slo.Transition {
		return slo.Transition{From: slo.AlertPending, Alert: slo.Alert{Name: slo.AlertName, SLO: slos[i][0], Severity: sev,
			Lifecycle:  slo.Lifecycle{State: slo.AlertFiring, ActiveSince: at, FiringSince: at, LastChange: at},
			Conditions: []slo.AlertCondition{{LongWindow: time.Hour, ShortWindow: 5 * time.Minute, LongBurn: 16.7, ShortBurn: 200, Factor: 14.4, Firing: true}},
			Reasons:    []slo.ReasonCount{{Reason: "connect", Count: 2}}}}
	}
	for m := range 10 {
		at := t0.Add(time.Duration(m) * time.Minute)
		var ts []slo.Transition
		for i := range names {
			tr.Record(Run{Probe: names[i], Time: at.Add(time.Duration(i) * time.Millisecond), Reason: "connect",
				Message:  fmt.Sprintf("connection to 127.0.0.1:%d refused while connecting (connect phase)", 40379),
				Duration: 300 * time.Microsecond, Phases: phases(), SLOs: slos[i]})
			switch m {
			case 1:
				ts = append(ts, fire(i, "page", at.Add(30*time.Second)))
			case 5:
				ts = append(ts, fire(i, "ticket", at.Add(30*time.Second)))
			}
		}
		tr.Alerts(ts)
		tr.Tick()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := tr.OpenCount(); got != n {
		t.Fatalf("%d incidents open, want %d", got, n)
	}
	per := int(after.HeapAlloc-before.HeapAlloc) / n
	runtime.KeepAlive(tr)
	t.Logf("%d bytes (%.1f KiB) per failing probe", per, float64(per)/1024)
	if per > 8<<10 {
		t.Errorf("%d bytes per failing probe, want at most %d", per, 8<<10)
	}
}
