package incident

import (
	"math"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The checkout outage becomes one incident: opened by the third failure
// in a row, joined by the page alert, with every change of reason, the
// messages counted, the screenshots, the cost in error budget, and closed
// ten minutes after the page alert is resolved (the ticket alert's slow
// burn goes on for hours).
func TestOutageBecomesOneIncident(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	s := newScenario(t, Config{}, st)
	s.run(t0.Add(8 * time.Hour))
	incs := s.tr.List(t0, t0.Add(8*time.Hour))
	if len(incs) != 1 {
		t.Fatalf("%d incidents: %+v", len(incs), incs)
	}
	inc := incs[0]
	t.Logf("alerts: %v", s.log)
	if inc.ID != "1" || inc.Trigger != "failures" || inc.Open() || inc.Title != "Probe checkout is failing" {
		t.Errorf("incident %s %q triggered by %s, open %v", inc.ID, inc.Title, inc.Trigger, inc.Open())
	}
	// 34 runs failed: 06:00:00 to 06:16:30.
	if !inc.Started.Equal(outageStart) || !inc.Opened.Equal(outageStart.Add(time.Minute)) || inc.FailedRuns != 34 {
		t.Errorf("started %v, opened %v, %d failed runs", inc.Started, inc.Opened, inc.FailedRuns)
	}
	if inc.Detected.IsZero() || inc.TimeToDetect() != inc.Detected.Sub(outageStart) {
		t.Errorf("detected %v, time to detect %v", inc.Detected, inc.TimeToDetect())
	}
	// Recovered with the probe; closed ten minutes after the page alert
	// (whose windows lag) was resolved.
	if !inc.Recovered.Equal(outageEnd) || inc.TimeToRecover() != 17*time.Minute || !inc.Closed.Equal(page(inc).Resolved.Add(DefaultCloseAfter)) {
		t.Errorf("recovered %v, closed %v", inc.Recovered, inc.Closed)
	}
	// The failed runs and the run that found it passing again.
	if inc.Runs != 35 {
		t.Errorf("%d runs during the incident, want 35", inc.Runs)
	}
	if len(inc.Probes) != 1 {
		t.Fatalf("probes %+v", inc.Probes)
	}
	p := inc.Probes[0]
	if p.Name != "checkout" || !p.Recovered.Equal(outageEnd) || p.Reasons["connect"] != 10 || p.Reasons["timeout"] != 24 ||
		len(p.Phases) != 4 || p.Phases[3].Name != "processing" {
		t.Errorf("probe %+v", p)
	}
	if len(inc.Messages) != 2 || inc.Messages[0].Count != 10 || inc.Messages[1].Count != 24 || !inc.Messages[1].First.Equal(timeouts) {
		t.Errorf("messages %+v %+v", inc.Messages[0], inc.Messages[1])
	}
	if len(inc.Diagnostics) != 24 || inc.Diagnostics[0].Name != "checkout-060500.png" {
		t.Errorf("%d diagnostics, first %+v", len(inc.Diagnostics), inc.Diagnostics[0])
	}
	// The page alert joined, with its runbook; the api SLO did not.
	if len(inc.SLOs) != 1 || inc.SLOs[0].Name != "checkout" || inc.SLOs[0].RunbookURL != "https://runbooks.example.com/checkout" ||
		inc.SLOs[0].TimeZone != "Europe/Berlin" {
		t.Errorf("SLOs %+v", inc.SLOs)
	}
	for _, a := range inc.Alerts {
		if a.Resolved.IsZero() != (a.Severity == "ticket") {
			t.Errorf("alert: %+v", a)
		}
	}
	if p := page(inc); p == nil || !p.Fired.Equal(inc.Detected) {
		t.Fatalf("alerts %+v", inc.Alerts)
	}
	// The cost: the checkout SLO's bad runs during the incident against
	// the engine's budget for the month so far.
	// the month's budget when it closed: 0.5% of the runs since t0.
	bad, _, _ := s.e.BudgetSpent("checkout", inc.Started, inc.Recovered)
	runs := float64(inc.Closed.Sub(t0)/(30*time.Second) + 1)
	if s := inc.SLOs[0]; s.BadEvents != 34 || s.BadEvents != bad || math.Abs(s.Budget-0.005*runs) > 1e-9 {
		t.Errorf("budget: %v bad of %v, want 34 of %v", s.BadEvents, s.Budget, 0.005*runs)
	}
	kinds := map[string]int{}
	for _, e := range inc.Timeline {
		kinds[e.Kind]++
	}
	for kind, n := range map[string]int{KindFirstFailure: 1, KindOpened: 1, KindReasonChanged: 1, KindAlertFired: 2,
		KindAlertResolved: 1, KindProbeRecovered: 1, KindRecovered: 1, KindClosed: 1} {
		if kinds[kind] != n {
			t.Errorf("%d %s entries, want %d: %+v", kinds[kind], kind, n, inc.Timeline)
		}
	}
	for i := 1; i < len(inc.Timeline); i++ {
		if inc.Timeline[i].Time.Before(inc.Timeline[i-1].Time) && inc.Timeline[i].Kind != KindAlertFired {
			t.Errorf("timeline out of order at %d: %+v", i, inc.Timeline)
		}
	}
	if got, ok := s.tr.Get("1"); !ok || got.FailedRuns != 34 || got.Open() {
		t.Errorf("Get from the store: %+v %v", got, ok)
	}
	// Daily counts for the period report.
	days := s.tr.Days(t0, t0)
	if len(days) != 2 {
		t.Fatalf("days %+v", days)
	}
	for _, d := range days {
		if d.Probe == "checkout" && (d.Runs != 8*120+1 || d.Failures != 34 || d.Spells != 1 || d.Reasons["timeout"] != 24) {
			t.Errorf("checkout's day: %+v", d)
		}
	}
}

func page(inc *Incident) *Alert {
	for _, a := range inc.Alerts {
		if a.Severity == "page" {
			return a
		}
	}
	return nil
}

// With only alerts opening incidents, the page alert opens it, starting
// at the probe's first failed run, with the failures before the alert.
func TestPageAlertOpensIncident(t *testing.T) {
	t.Parallel()
	none := 0
	s := newScenario(t, Config{OpenAfterFailures: &none}, nil)
	s.run(outageStart.Add(15 * time.Minute))
	open := s.tr.Open()
	if len(open) != 1 {
		t.Fatalf("%d open incidents", len(open))
	}
	inc := open[0]
	if inc.Trigger != "alert" || !inc.Started.Equal(outageStart) || !inc.Opened.Equal(inc.Detected) || inc.Title != "the page alert of SLO checkout" {
		t.Errorf("incident: %q %s started %v opened %v detected %v", inc.Title, inc.Trigger, inc.Started, inc.Opened, inc.Detected)
	}
	if inc.FailedRuns != 31 || len(inc.Probes) != 1 || inc.Probes[0].FirstFailure != outageStart {
		t.Errorf("%d failed runs, probes %+v", inc.FailedRuns, inc.Probes)
	}
	if id := s.tr.IncidentOf(&s.e.Alerts()[0]); id != inc.ID {
		t.Errorf("the page alert's incident: %q, want %q", id, inc.ID)
	}
}

// Closed incidents older than the retention are deleted.
func TestRetention(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	s := newScenario(t, Config{}, st)
	s.run(t0.Add(7 * time.Hour))
	if _, ok := s.tr.Get("1"); !ok {
		t.Fatal("no incident")
	}
	s.c.Set(t0.Add(DefaultRetention + 48*time.Hour))
	s.tr.pruned = time.Time{}
	s.tr.Tick()
	if _, ok := s.tr.Get("1"); ok {
		t.Error("incident kept beyond the retention")
	}
	if d := s.tr.Days(t0, t0); len(d) != 0 {
		t.Errorf("daily counts kept beyond the retention: %+v", d)
	}
}

// An open incident read back with an empty probe entry and a probe
// without its reasons (a damaged value that is still JSON) is carried
// on: the next failed run counts towards it.
func TestDamagedStoredIncidentCarriesOn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := openStore(t, dir)
	err := st.db.Update(func(tx *bolt.Tx) error {
		k, _ := idKey("7")
		return tx.Bucket(bucketIncidents).Put(k, []byte(`{"id":"7","title":"Probe p is failing","probes":[null,{"name":"p","failed_runs":3}],"messages":[null]}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTracker(Config{}, Source{Agent: "a1"}, st, nil, func() time.Time { return t0 }, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr.Record(Run{Probe: "p", Time: t0, Reason: "connect", Message: "refused"})
	open := tr.Open()
	if len(open) != 1 || open[0].ID != "7" || len(open[0].Probes) != 1 || open[0].Probes[0].FailedRuns != 4 ||
		open[0].Probes[0].Reasons["connect"] != 1 {
		t.Fatalf("open incidents %+v", open)
	}
}
