package slo

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

func TestLifecycleStep(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	var l Lifecycle
	steps := []struct {
		s      int
		active bool
		hold   time.Duration
		want   AlertState
	}{
		{0, false, time.Minute, AlertInactive},
		{10, true, time.Minute, AlertPending},
		{40, false, time.Minute, AlertInactive}, // pending that stops: inactive, never resolved
		{50, true, time.Minute, AlertPending},
		{100, true, time.Minute, AlertPending},
		{110, true, time.Minute, AlertFiring}, // held for 60s
		{500, true, time.Minute, AlertFiring},
		{510, false, time.Minute, AlertResolved},
		{510 + 899, false, time.Minute, AlertResolved},
		{510 + 900, false, time.Minute, AlertInactive}, // after ResolvedRetention
		{2000, true, 0, AlertFiring},                   // no for: fires at once
		{2010, false, 0, AlertResolved},
		{2020, true, 0, AlertFiring}, // back from resolved
	}
	for _, st := range steps {
		l.Step(st.active, at(st.s), st.hold)
		if l.State != st.want {
			t.Fatalf("at %ds (active %v): %s, want %s", st.s, st.active, l.State, st.want)
		}
	}
	if !l.ActiveSince.Equal(at(2020)) || !l.FiringSince.Equal(at(2020)) || !l.LastChange.Equal(at(2020)) || !l.ResolvedAt.IsZero() {
		t.Errorf("times after firing again: %+v", l)
	}
}

type step struct {
	sev      string
	from, to AlertState
	at       time.Time
}

func (s step) String() string {
	return fmt.Sprintf("%s %s->%s at %s", s.sev, s.from, s.to, s.at.Format("15:04:05"))
}

// An outage of 20 minutes after an hour of good runs, every 10 s, with
// the page alert held for 2 minutes and checked every 5 s: the page alert
// goes pending, fires once 2 minutes later and is resolved once when the
// 30m window is clean again; the ticket alert fires and is resolved once,
// when the 6h window is.
// No alert changes state at a minute boundary in between. Each
// transition is one log line with the burn rates, the runbook and the
// window's top reasons.
func TestAlertLifecycleDuringOutage(t *testing.T) {
	t.Parallel()
	c := newClock(t0)
	var logs testutil.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	cfg := Config{Name: "checkout", Probes: []string{"p"}, Objective: 99.9, RunbookURL: "https://runbooks.example.com/checkout",
		Labels: map[string]string{"team": "payments"}, Alerting: AlertingConfig{For: SeverityDurations{Page: dur(2 * time.Minute)}}}
	e, err := NewEngine([]Config{cfg}, nil, c.Now, log)
	if err != nil {
		t.Fatal(err)
	}
	outage, end := t0.Add(time.Hour), t0.Add(80*time.Minute)
	var steps []step
	n := 0
	for now := t0; now.Before(end.Add(6*time.Hour + 5*time.Minute)); now = now.Add(5 * time.Second) {
		c.Set(now)
		if now.Unix()%10 == 0 {
			ok := now.Before(outage) || !now.Before(end)
			reason := "connect"
			if n++; n%4 == 0 {
				reason = "timeout"
			}
			e.Observe(Event{Probe: "p", Time: now, Success: ok, Reason: reason, Duration: time.Millisecond})
		}
		for _, tr := range e.EvaluateAlerts() {
			steps = append(steps, step{tr.Severity, tr.From, tr.State, now})
			if tr.Severity == "page" && tr.State == AlertFiring {
				if tr.SLO != "checkout" || tr.RunbookURL != cfg.RunbookURL || tr.Labels["team"] != "payments" ||
					len(tr.Reasons) != 2 || tr.Reasons[0].Reason != "connect" || tr.Reasons[1].Reason != "timeout" {
					t.Errorf("firing alert: %+v", tr.Alert)
				}
				if !strings.Contains(tr.Description, "objective 99.9%, window rolling 30d") {
					t.Errorf("description: %s", tr.Description)
				}
			}
		}
	}
	var page, ticket []step
	for _, s := range steps {
		if s.sev == "page" {
			page = append(page, s)
		} else {
			ticket = append(ticket, s)
		}
	}
	if len(page) != 4 || page[0].to != AlertPending || page[1].to != AlertFiring || page[2].to != AlertResolved ||
		page[3].to != AlertInactive || page[3].at.Sub(page[2].at) != ResolvedRetention {
		t.Fatalf("page transitions: %v", page)
	}
	if d := page[1].at.Sub(page[0].at); d < 2*time.Minute || d > 2*time.Minute+5*time.Second {
		t.Errorf("page fired %v after going pending, want its for: of 2m", d)
	}
	// Three bad runs of the 6h window's 363 make a burn rate over 6.
	if d := page[0].at.Sub(outage); d != 20*time.Second {
		t.Errorf("page pending %v into the outage, want 20s", d)
	}
	if d := page[2].at.Sub(end); d < 29*time.Minute || d > 31*time.Minute {
		t.Errorf("page resolved %v after the outage, want 30m", d)
	}
	if len(ticket) != 2 || ticket[0].from != AlertInactive || ticket[0].to != AlertFiring || ticket[1].to != AlertResolved {
		t.Fatalf("ticket transitions: %v", ticket)
	}
	if d := ticket[1].at.Sub(end); d < 6*time.Hour-time.Minute || d > 6*time.Hour+time.Minute {
		t.Errorf("ticket resolved %v after the outage, want 6h", d)
	}
	firingLines := logs.Lines("msg=\"alert firing\"")
	if len(firingLines) != 2 {
		t.Fatalf("%d firing lines:\n%s", len(firingLines), strings.Join(firingLines, "\n"))
	}
	pageLine := firingLines[1]
	for _, want := range []string{"level=WARN", "slo=checkout", "severity=page", "from=pending", "burn_rates=\"1h=",
		"runbook_url=https://runbooks.example.com/checkout", "reasons=\"connect=", "timeout=", "pending_for=2m0s"} {
		if !strings.Contains(pageLine, want) {
			t.Errorf("firing line lacks %s:\n%s", want, pageLine)
		}
	}
	if l := logs.Lines("msg=\"alert resolved\""); len(l) != 2 || !strings.Contains(l[0], "fired_for=") {
		t.Errorf("resolved lines:\n%s", strings.Join(l, "\n"))
	}
	if l := logs.Lines("msg=\"alert pending\""); len(l) != 1 {
		t.Errorf("pending lines:\n%s", strings.Join(l, "\n"))
	}
	s := e.Status()[0]
	if s.Alerts[1].State != AlertResolved || !s.Alerts[1].FiringSince.Equal(ticket[0].at) {
		t.Errorf("status of the ticket alert: %+v", s.Alerts[1].Lifecycle)
	}
}

// A new 99% SLO's first failure in eight runs is a burn rate of 12.5 over
// both windows of the 6h/30m pair: it pages without a minimum of events,
// and stays quiet with the default minimum until the long window holds ten.
func TestMinEventsKeepsANewSLOQuiet(t *testing.T) {
	t.Parallel()
	zero := 0
	for _, tc := range []struct {
		min  *int
		want bool
	}{{nil, false}, {&zero, true}} {
		c := newClock(t0)
		e := mustEngine(t, []Config{{Name: "new", Probes: []string{"p"}, Objective: 99, Alerting: AlertingConfig{MinEvents: tc.min}}}, nil, c)
		for i := 0; i < 8; i++ {
			c.Set(t0.Add(time.Duration(i) * 30 * time.Second))
			e.Observe(Event{Probe: "p", Success: i != 5, Reason: "status_code"})
		}
		if got := firing(e.Status()[0], "page"); got != tc.want {
			t.Errorf("min_events %v: page firing %v, want %v", tc.min, got, tc.want)
		}
		tr := e.EvaluateAlerts()
		if got := len(tr) > 0 && tr[0].State == AlertFiring; got != tc.want {
			t.Errorf("min_events %v: transitions %+v", tc.min, tr)
		}
	}
}

// An alert that fired keeps its firing-since time across a restart, and
// an SLO removed from the config has its alerts resolved.
func TestFiringSinceSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgs := []Config{{Name: "a", Probes: []string{"p"}, Objective: 99}}
	c := newClock(t0)
	st := openStore(t, dir)
	e := mustEngine(t, cfgs, st, c)
	fire := func(e *Engine, from time.Time) {
		for i := 0; i < 20; i++ {
			c.Set(from.Add(time.Duration(i) * 10 * time.Second))
			e.Observe(Event{Probe: "p", Success: false, Reason: "dns"})
		}
	}
	fire(e, t0)
	tr := e.EvaluateAlerts()
	if len(tr) != 2 || tr[0].State != AlertFiring {
		t.Fatalf("transitions: %+v", tr)
	}
	since := tr[0].FiringSince
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	c.Add(time.Minute)
	e = mustEngine(t, cfgs, st, c)
	if a := e.Alerts()[0]; a.State != AlertFiring || !a.FiringSince.Equal(since) {
		t.Errorf("after the restart: %+v", a.Lifecycle)
	}
	fire(e, c.Now())
	if tr := e.EvaluateAlerts(); len(tr) != 0 {
		t.Errorf("transitions after the restart: %+v", tr)
	}
	if err := e.Update(nil); err != nil {
		t.Fatal(err)
	}
	tr = e.EvaluateAlerts()
	if len(tr) != 2 || tr[0].State != AlertResolved || tr[0].SLO != "a" {
		t.Errorf("transitions of the removed SLO: %+v", tr)
	}
	if kept, err := st.loadAlerts("a"); err != nil || len(kept) != 0 {
		t.Errorf("stored state of the removed SLO: %v %v", kept, err)
	}
}

const alertCrashEnv = "SLO_ALERT_CRASH_DIR"

// TestAlertCrashChild is the process TestFiringSinceSurvivesKill kills:
// it fires an SLO's alerts, prints when, and keeps evaluating.
func TestAlertCrashChild(t *testing.T) {
	dir := os.Getenv(alertCrashEnv)
	if dir == "" {
		t.Skip("only run by TestFiringSinceSurvivesKill")
	}
	e := crashEngine(dir)
	for i := 0; ; i++ {
		e.Observe(Event{Probe: "p", Success: false, Reason: "connect"})
		for _, tr := range e.EvaluateAlerts() {
			if tr.Severity == "page" && tr.State == AlertFiring {
				fmt.Println("fired", tr.FiringSince.UnixNano())
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A process killed with SIGKILL while its page alert fires: the next
// process opens the state file with the alert firing since the same time.
func TestFiringSinceSurvivesKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	child := testutil.StartChild(t, "^TestAlertCrashChild$", alertCrashEnv+"="+dir)
	since := child.KillAfter(t, "fired", 1)
	e := afterKill(t, dir)
	if a := e.Alerts()[0]; a.State != AlertFiring || a.FiringSince.UnixNano() != since {
		t.Errorf("after the kill: %+v, fired at %v", a.Lifecycle, time.Unix(0, since))
	}
}

// TestFailureLogReasons checks the log names its latest runs' reasons
// when more reasons come than its table holds.
func TestFailureLogReasons(t *testing.T) {
	var f failureLog
	var all []string
	at := t0
	for i := range 3 * maxLogReasons {
		at = at.Add(time.Second)
		f.add(at, fmt.Sprint("r", i))
		all = append(all, fmt.Sprint("r", i))
		if i%2 == 0 {
			f.add(at, "steady")
			all = append(all, "steady")
		}
	}
	if len(f.at) != failureLogSize || len(f.reason) != failureLogSize || len(f.reasons) > maxLogReasons {
		t.Fatalf("%d runs, %d reasons", len(f.at), len(f.reasons))
	}
	// The latest runs: "steady" 43 times, then r683 (by name among
	// reasons named once).
	counts := map[string]int{}
	for _, r := range all[len(all)-failureLogSize:] {
		counts[r]++
	}
	if counts["steady"] != 43 || counts["r683"] != 1 || counts["r682"] != 0 {
		t.Fatalf("test setup: %v", counts)
	}
	want := []ReasonCount{{"steady", 43}, {"r683", 1}, {"r684", 1}}
	if top := f.top(t0, 3); fmt.Sprint(top) != fmt.Sprint(want) {
		t.Errorf("top reasons %v, want %v", top, want)
	}
	if got := f.top(at, 3); got == nil || len(got) != 0 {
		t.Errorf("top reasons after the last run %#v, want none", got)
	}
}
