package slo

import (
	"testing"
	"time"
)

// oracle keeps every run with its time and counts the runs of a window
// (t-d, t] exactly.
type oracle struct{ runs []Event }

func (o *oracle) add(ev Event) { o.runs = append(o.runs, ev) }

func (o *oracle) count(now time.Time, d time.Duration) (good, total uint64) {
	from := now.Add(-d)
	for _, r := range o.runs {
		if r.Time.After(from) && !r.Time.After(now) {
			total++
			if r.Success {
				good++
			}
		}
	}
	return good, total
}

// During a total outage of a 1-day SLO (whose page alert windows scale to
// 2m and 1m) the windows are checked every five seconds across minute
// boundaries against an exact count of the runs in (t-d, t]: each window
// holds all but at most one of them, none is ever empty, every burn rate
// is the outage's, and the page alert fires at every check. A window that
// covered only the current minute lost its runs at hh:mm:00 and the alert
// went off for the first seconds of every minute.
func TestWindowsSlideAcrossMinuteBoundaries(t *testing.T) {
	t.Parallel()
	start := t0.Add(10 * time.Hour)
	c := newClock(start)
	e := mustEngine(t, []Config{{Name: "day", Probes: []string{"p"}, Objective: 99, Window: WindowConfig{Rolling: dur(24 * time.Hour)}}}, nil, c)
	var o oracle
	// A run every 15 s, at 7, 22, 37 and 52 s past the minute; the outage
	// starts 30 minutes in.
	outage := start.Add(30 * time.Minute)
	next := start.Add(7 * time.Second)
	checks := 0
	for now := start; now.Before(start.Add(60 * time.Minute)); now = now.Add(time.Second) {
		c.Set(now)
		for !next.After(now) {
			ev := Event{Probe: "p", Time: next, Success: next.Before(outage)}
			e.Observe(ev)
			o.add(ev)
			next = next.Add(15 * time.Second)
		}
		// From 12 minutes into the outage every alert window lies in it.
		if now.Before(outage.Add(12*time.Minute)) || now.Unix()%5 != 0 {
			continue
		}
		checks++
		s := e.Status()[0]
		for _, w := range s.Windows {
			good, total := o.count(now, w.Duration)
			if w.Events+1 < total || w.Events > total+1 || w.Good+1 < good || w.Good > good+1 {
				t.Errorf("%s: %s window holds %d good of %d runs, the runs in it were %d of %d",
					now.Format("15:04:05"), w.Name, w.Good, w.Events, good, total)
			}
			if w.Duration <= 12*time.Minute && (!w.HasData() || w.BurnRate != 100) {
				t.Errorf("%s: %s window during the outage: burn %v from %d runs, want 100", now.Format("15:04:05"), w.Name, w.BurnRate, w.Events)
			}
		}
		if !firing(s, "page") {
			t.Errorf("%s: page alert not firing during the outage (1m burn %v from %d runs)",
				now.Format("15:04:05"), window(t, s, "1m").BurnRate, window(t, s, "1m").Events)
		}
	}
	if checks < 150 {
		t.Fatalf("only %d checks", checks)
	}
}

// With steady traffic, every window of a 30-day SLO, from the minute-exact
// page windows to the SLO window, is within one run of the exact count at
// every second of a minute, and so is the whole window, which is taken
// from hours.
func TestWindowsMatchExactCounts(t *testing.T) {
	t.Parallel()
	start := t0
	c := newClock(start)
	e := mustEngine(t, []Config{{Name: "month", Probes: []string{"p"}, Objective: 99.9}}, nil, c)
	var o oracle
	// Four runs a minute for 31 days, every 13th bad.
	const runs = 31 * 1440 * 4
	runAt := func(i int) time.Time { return start.Add(time.Duration(i)*15*time.Second + 7*time.Second) }
	for i := 0; i < runs; i++ {
		at := runAt(i)
		c.Set(at)
		ev := Event{Probe: "p", Time: at, Success: i%13 != 0}
		e.Observe(ev)
		if at.After(start.Add(28 * 24 * time.Hour)) {
			o.add(ev) // the oracle needs the last 3 days only for the short windows
		}
	}
	end := c.Now()
	for sec := 0; sec < 60; sec += 7 {
		now := end.Add(time.Duration(sec) * time.Second)
		c.Set(now)
		s := e.Status()[0]
		for _, w := range s.Windows {
			if w.Duration > 3*24*time.Hour {
				continue
			}
			good, total := o.count(now, w.Duration)
			// Windows up to 6h come from minutes: one run of slack for
			// the edge minute. Longer ones start in a quarter hour
			// taken in share: one run of that quarter's share more.
			slack := uint64(1)
			if w.Duration > 6*time.Hour {
				slack = 2
			}
			if w.Events+slack < total || w.Events > total+slack || w.Good+slack < good || w.Good > good+slack {
				t.Errorf("+%ds: %s window holds %d good of %d runs, the runs in it were %d of %d", sec, w.Name, w.Good, w.Events, good, total)
			}
		}
		// The whole window, whose first hour is taken in share.
		var total uint64
		for i := 0; i < runs; i++ {
			if at := runAt(i); at.After(now.Add(-30*24*time.Hour)) && !at.After(now) {
				total++
			}
		}
		if s.Whole.Events+2 < total || s.Whole.Events > total+2 {
			t.Errorf("+%ds: SLO window holds %d runs, want %d", sec, s.Whole.Events, total)
		}
	}
}
