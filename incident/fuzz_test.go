package incident

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sloagent/sloagent/slo"
)

// FuzzStoredIncident puts mutations of a stored incident into the
// incidents file, as a damaged or older file may hold them: the tracker
// that reads them back must take runs, alerts and ticks for their probes
// and render their review without a panic.
func FuzzStoredIncident(f *testing.F) {
	tr, err := NewTracker(Config{}, Source{Agent: "a1", Location: "fra"}, nil, nil, func() time.Time { return t0 }, nil)
	if err != nil {
		f.Fatal(err)
	}
	for i := range 4 {
		tr.Record(Run{Probe: "p", Time: t0.Add(time.Duration(i) * time.Second), Reason: "connect", Message: "refused",
			Diagnostics: []string{"p.png"}, Phases: []Phase{{Name: "connect", Duration: time.Second}}, SLOs: []string{"s"}})
	}
	for _, inc := range tr.Open() {
		b, err := json.Marshal(inc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"1","probes":[null],"messages":[null],"alerts":[null]}`))
	f.Add([]byte(`{"id":"1","probes":[{"name":"p"}],"slos":[{"name":"s"}]}`))

	st, err := OpenStore(f.TempDir(), nil)
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	st.db.NoSync = true
	key := make([]byte, 8)
	binary.BigEndian.PutUint64(key, 1)
	f.Fuzz(func(t *testing.T, data []byte) {
		err := st.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketIncidents)
			if err := b.ForEach(func(k, _ []byte) error { return b.Delete(k) }); err != nil {
				return err
			}
			return b.Put(key, data)
		})
		if err != nil {
			t.Fatal(err)
		}
		now := t0.Add(time.Hour)
		tr, err := NewTracker(Config{}, Source{Agent: "a1"}, st, nil, func() time.Time { return now }, nil)
		if err != nil {
			return // a value that does not decode is an error, not a panic
		}
		probes := []string{"p"}
		for _, inc := range tr.Open() {
			for _, p := range inc.Probes {
				if p != nil {
					probes = append(probes, p.Name)
				}
			}
		}
		for _, p := range probes {
			tr.Record(Run{Probe: p, Time: now, Reason: "timeout", Message: "deadline", SLOs: []string{"s"}, Diagnostics: []string{"x.png"}})
			tr.Record(Run{Probe: p, Time: now, Reason: "connect", Message: "refused", SLOs: []string{"s"}})
		}
		tr.Alerts([]slo.Transition{alert(slo.AlertFiring, now)})
		tr.Tick()
		for _, p := range probes {
			tr.Record(Run{Probe: p, Time: now, Success: true})
		}
		tr.Alerts([]slo.Transition{alert(slo.AlertResolved, now)})
		now = now.Add(time.Hour)
		tr.Tick()
		for _, inc := range tr.List(t0.Add(-24*time.Hour), now) {
			if err := Review(io.Discard, inc, now, "http://127.0.0.1:9470"); err != nil {
				t.Errorf("review of incident %s: %v", inc.ID, err)
			}
			inc.Summarize(now)
		}
		if inc, ok := tr.Get("1"); ok {
			_ = Review(io.Discard, inc, now, "")
		}
	})
}

// alert is a transition of the page alert of SLO s.
func alert(state slo.AlertState, at time.Time) slo.Transition {
	return slo.Transition{From: slo.AlertPending, Alert: slo.Alert{Name: slo.AlertName, SLO: "s", Severity: "page",
		Lifecycle: slo.Lifecycle{State: state, ActiveSince: at, FiringSince: at, ResolvedAt: at, LastChange: at}}}
}
