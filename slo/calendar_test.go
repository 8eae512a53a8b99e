package slo

import (
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Calendar periods start at local midnight, so their length in UTC changes
// with daylight saving time, and in some zones they start at a quarter past.
func TestCalendarBounds(t *testing.T) {
	for _, tc := range []struct {
		cal, zone, now string
		start, end     string
		hours          int
	}{
		// Berlin goes to summer time on 29 March 2026: March is an hour short.
		{Month, "Europe/Berlin", "2026-03-15T12:00:00Z", "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z", 31*24 - 1},
		// and back on 25 October: October is an hour long.
		{Month, "Europe/Berlin", "2026-10-31T22:59:59Z", "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", 31*24 + 1},
		{Month, "Europe/Berlin", "2026-10-31T23:00:00Z", "2026-10-31T23:00:00Z", "2026-11-30T23:00:00Z", 30 * 24},
		{Month, "UTC", "2026-02-10T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", 28 * 24},
		{Month, "Asia/Kathmandu", "2026-01-10T00:00:00Z", "2025-12-31T18:15:00Z", "2026-01-31T18:15:00Z", 31 * 24},
		{Month, "America/New_York", "2026-11-15T00:00:00Z", "2026-11-01T04:00:00Z", "2026-12-01T05:00:00Z", 30*24 + 1},
		// ISO weeks start on Monday; this one holds the spring change.
		{Week, "Europe/Berlin", "2026-03-29T12:00:00Z", "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z", 7*24 - 1},
		{Week, "UTC", "2026-01-01T00:00:00Z", "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z", 7 * 24},
	} {
		sp, err := newSpan(WindowConfig{Calendar: tc.cal, TimeZone: tc.zone})
		if err != nil {
			t.Fatal(err)
		}
		start, end := sp.bounds(utc(tc.now))
		if !start.Equal(utc(tc.start)) || !end.Equal(utc(tc.end)) || end.Sub(start) != time.Duration(tc.hours)*time.Hour {
			t.Errorf("%s at %s: [%s, %s) (%v), want [%s, %s) (%dh)", sp, tc.now,
				start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), end.Sub(start), tc.start, tc.end, tc.hours)
		}
	}
}

// A calendar month counts exactly the runs between its local midnights,
// from quarter hours early in the month and from minutes near its end,
// across a DST change, and starts empty in the next month.
func TestCalendarMonthAcrossDST(t *testing.T) {
	c := newClock(utc("2026-02-28T22:00:00Z"))
	e := mustEngine(t, []Config{{Name: "berlin", Probes: []string{"p"}, Objective: 99,
		Window: WindowConfig{Calendar: Month, TimeZone: "Europe/Berlin"}}}, nil, c)
	run := func(at string, ok bool) {
		c.Set(utc(at))
		e.Observe(Event{Probe: "p", Time: utc(at), Success: ok})
	}
	run("2026-02-28T22:59:59Z", false) // 23:59:59 on 28 February in Berlin
	run("2026-02-28T23:00:00Z", true)  // midnight, 1 March
	run("2026-03-01T10:00:00Z", false)
	run("2026-03-29T00:30:00Z", true) // 01:30 CET
	run("2026-03-29T01:30:00Z", true) // 03:30 CEST, an hour later
	run("2026-03-31T21:59:30Z", true) // 23:59:30 on 31 March

	s := e.Status()[0]
	if !s.WindowStart.Equal(utc("2026-02-28T23:00:00Z")) || !s.WindowEnd.Equal(utc("2026-03-31T22:00:00Z")) {
		t.Errorf("window [%s, %s)", s.WindowStart.UTC(), s.WindowEnd.UTC())
	}
	if s.Whole.Events != 5 || s.Whole.Good != 4 {
		t.Errorf("March holds %d good of %d runs, want 4 of 5", s.Whole.Good, s.Whole.Events)
	}
	approx(t, "budget remaining", s.BudgetRemaining, 1-(1.0/5)/0.01)
	if s.Whole.Duration != 743*time.Hour {
		t.Errorf("March in Berlin lasts %v, want 743h", s.Whole.Duration)
	}

	c.Set(utc("2026-03-31T22:00:00Z")) // midnight, 1 April
	s = e.Status()[0]
	if s.Whole.HasData() || !isNaN(s.BudgetRemaining) || !isNaN(s.Whole.SLI) {
		t.Errorf("April has no runs yet, yet SLI %v budget %v (%d runs)", s.Whole.SLI, s.BudgetRemaining, s.Whole.Events)
	}
	if w := window(t, s, "1h"); w.Events != 1 {
		t.Errorf("the 1h window ignores the calendar: %d runs, want 1", w.Events)
	}
}

// Kathmandu's months start at 18:15 UTC: the quarter-hour slices keep the
// boundary exact long after the minutes are gone.
func TestCalendarMonthQuarterHourZone(t *testing.T) {
	c := newClock(utc("2025-12-31T18:00:00Z"))
	e := mustEngine(t, []Config{{Name: "ktm", Probes: []string{"p"}, Objective: 99.9,
		Window: WindowConfig{Calendar: Month, TimeZone: "Asia/Kathmandu"}}}, nil, c)
	for _, r := range []struct {
		at string
		ok bool
	}{{"2025-12-31T18:14:59Z", false}, {"2025-12-31T18:15:00Z", true}, {"2025-12-31T18:29:00Z", true}} {
		c.Set(utc(r.at))
		e.Observe(Event{Probe: "p", Time: utc(r.at), Success: r.ok})
	}
	c.Set(utc("2026-01-20T00:00:00Z"))
	s := e.Status()[0]
	if s.Whole.Events != 2 || s.Whole.Good != 2 {
		t.Errorf("January in Kathmandu holds %d good of %d runs, want 2 of 2", s.Whole.Good, s.Whole.Events)
	}
	approx(t, "budget remaining", s.BudgetRemaining, 1)
}

func isNaN(f float64) bool { return f != f }
