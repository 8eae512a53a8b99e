package slo

import (
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

// A probe's own alert goes pending at its third failure in a row, fires
// after its for:, is resolved at the first success, and after a restart
// keeps firing (with the same firing-since) until the probe runs again.
func TestProbeAlerts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := openStore(t, dir)
	pa := NewProbeAlerts(st, testutil.Logger(t))
	pa.Configure(map[string]ProbeAlertConfig{"api": {For: dur(time.Minute), RunbookURL: "https://runbooks.example.com/api"}}, t0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	var got []string
	checked := false
	run := func(s int, ok bool, reason string) {
		pa.Observe("api", ok, reason)
		pa.Observe("other", false, "dns") // a probe without an alert
		for _, tr := range pa.Evaluate(at(s)) {
			got = append(got, tr.From.String()+"->"+tr.State.String())
			if tr.State == AlertFiring && !checked && (tr.Probe != "api" || tr.Failures != 9 || tr.RunbookURL != "https://runbooks.example.com/api" ||
				len(tr.Reasons) != 2 || tr.Reasons[0] != (ReasonCount{"connect", 5}) || tr.Name != ProbeAlertName) {
				t.Errorf("firing alert: %+v", tr.Alert)
			}
			checked = checked || tr.State == AlertFiring
		}
	}
	run(0, false, "connect")
	run(10, true, "")
	for s := 20; s <= 100; s += 10 { // nine failures: pending at 40s, firing at 100s
		reason := "timeout"
		if s%20 == 0 {
			reason = "connect"
		}
		run(s, false, reason)
	}
	want := []string{"inactive->pending", "pending->firing"}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	since := pa.Alerts()[0].FiringSince
	if !since.Equal(at(100)) {
		t.Errorf("firing since %v", since)
	}

	// A restart: the alert keeps firing until the probe runs.
	pa = NewProbeAlerts(st, testutil.Logger(t))
	pa.Configure(map[string]ProbeAlertConfig{"api": {For: dur(time.Minute)}}, at(200))
	if tr := pa.Evaluate(at(200)); len(tr) != 0 {
		t.Errorf("transitions before the first run after a restart: %+v", tr)
	}
	if a := pa.Alerts()[0]; a.State != AlertFiring || !a.FiringSince.Equal(since) {
		t.Errorf("after the restart: %+v", a.Lifecycle)
	}
	got = nil
	run(210, true, "")
	if len(got) != 1 || got[0] != "firing->resolved" {
		t.Errorf("transitions at the first success: %v", got)
	}

	// Removed from the config while firing: resolved.
	got = nil
	for s := 220; s <= 300; s += 10 {
		run(s, false, "tls")
	}
	pa.Configure(nil, at(305))
	for _, tr := range pa.Evaluate(at(310)) {
		got = append(got, tr.From.String()+"->"+tr.State.String())
	}
	want = []string{"resolved->pending", "pending->firing", "firing->resolved"}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("transitions %v, want %v", got, want)
	}
	if kept, err := st.loadAlerts(probeAlertKey("api")); err != nil || len(kept) != 0 {
		t.Errorf("stored state of the removed alert: %v %v", kept, err)
	}
	st.Close()
}
