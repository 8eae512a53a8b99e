package incident

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/slo"
)

type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// t0 is a Thursday, midnight UTC.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// scenarioSLOs: checkout counts the checkout probe, in Berlin's calendar
// month; api counts the api probe, which never fails.
var scenarioSLOs = []slo.Config{
	{Name: "checkout", Probes: []string{"checkout"}, Objective: 99.5, RunbookURL: "https://runbooks.example.com/checkout",
		Window: slo.WindowConfig{Calendar: slo.Month, TimeZone: "Europe/Berlin"}},
	{Name: "api", Probes: []string{"api"}, Objective: 99.9},
}

// scenario is an outage of the checkout probe seen by a real SLO engine
// and a tracker, driven by a simulated clock in steps of 5 s.
type scenario struct {
	c   *clock
	e   *slo.Engine
	tr  *Tracker
	log []string // alert transitions, for failure messages
}

func newScenario(t *testing.T, cfg Config, store *Store) *scenario {
	t.Helper()
	s := &scenario{c: &clock{}}
	s.c.Set(t0)
	r := conf.NewReport()
	slo.ValidateList(r, scenarioSLOs)
	if !r.Empty() {
		t.Fatal(r.Problems())
	}
	e, err := slo.NewEngine(scenarioSLOs, nil, s.c.Now, testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	s.e = e
	s.tr, err = NewTracker(cfg, Source{Agent: "probe-fra-1", Location: "fra"}, store, e, s.c.Now, testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run runs both probes every 30 s from t0: checkout fails from 06:00:00
// to 06:17:00, first refused, from 06:05 timing out, with a screenshot at
// each timeout. Six hours of good runs before make the page alert's 6h
// window need 22 failures, so the third failure in a row comes first.
var (
	outageStart = t0.Add(6 * time.Hour)
	outageEnd   = outageStart.Add(17 * time.Minute)
	timeouts    = outageStart.Add(5 * time.Minute)
)

func (s *scenario) run(until time.Time) {
	for now := s.c.Now(); !now.After(until); now = now.Add(5 * time.Second) {
		s.c.Set(now)
		if now.Unix()%30 == 0 {
			for _, probe := range []string{"checkout", "api"} {
				r := Run{Probe: probe, Time: now, Success: true, Duration: 80 * time.Millisecond, SLOs: []string{probe}}
				if probe == "checkout" && !now.Before(outageStart) && now.Before(outageEnd) {
					r.Success = false
					r.Reason, r.Message = "connect", "dial tcp 10.0.0.7:443: connect: connection refused"
					r.Phases = []Phase{{"resolve", 2 * time.Millisecond}, {"connect", 3 * time.Millisecond}}
					if !now.Before(timeouts) {
						r.Reason, r.Message = "timeout", "timed out after 10s waiting for the response headers"
						r.Phases = []Phase{{"resolve", 2 * time.Millisecond}, {"connect", 3 * time.Millisecond}, {"tls", 20 * time.Millisecond}, {"processing", 10 * time.Second}}
						r.Diagnostics = []string{"checkout-" + now.Format("150405") + ".png"}
					}
				}
				s.e.Observe(slo.Event{Probe: probe, Time: now, Success: r.Success, Duration: r.Duration, Reason: r.Reason})
				s.tr.Record(r)
			}
		}
		ts := s.e.EvaluateAlerts()
		for _, x := range ts {
			s.log = append(s.log, x.Severity+" "+x.From.String()+"->"+x.State.String()+" "+now.Format("15:04:05"))
		}
		s.tr.Alerts(ts)
		s.tr.Tick()
	}
}
