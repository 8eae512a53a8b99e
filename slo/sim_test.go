package slo

import (
	"testing"
	"time"
)

// TestSimulated30Days drives one SLO through 30 simulated days, 20 runs a
// minute, with an outage and a slow degradation, and checks the alerts
// fire and clear at the minutes worked out by hand below, and the budget.
//
// Objective 99%: the budget is 1% bad runs.
//
// Outage from day 10 00:00 for 120 minutes, 4 of 20 runs bad (burn 20).
// At the end of outage minute k the 1h window holds k+1 bad minutes of 60,
// burn (k+1)/3, above 14.4 from k = 43; the 6h window burns (k+1)/18,
// above 6 from k = 108. After the outage the 5m window holds 124-k bad
// minutes (burn 4(124-k)), above 14.4 until k = 120; the 30m window holds
// 149-k (burn 2(149-k)/3), above 6 until k = 139. Page: minutes 43..139.
// Ticket: the 1d window would need more than 216 bad minutes: never.
//
// Degradation from day 20 00:00 for 1080 minutes, 1 of 20 runs bad (burn
// 5). The 1d window burns (k+1)/288, above 3 from k = 864; the 3d window
// (k+1)/864, above 1 from k = 864. Afterwards the 2h window holds 1199-k
// bad minutes (burn (1199-k)/24), above 3 until k = 1126; the 6h window
// 1439-k (burn (1439-k)/72), above 1 until k = 1366. Ticket: 864..1366.
// Page: burn 5 is below 6 and 14.4: never.
//
// After 30 days: 480 + 1080 bad of 864000 runs, budget remaining
// 1 - 1560/8640.
func TestSimulated30Days(t *testing.T) {
	t.Parallel()
	c := newClock(t0)
	e := mustEngine(t, []Config{{Name: "sim", Probes: []string{"p"}, Objective: 99}}, nil, c)
	const outage, degraded = 10 * 1440, 20 * 1440
	for m := 0; m < 30*1440; m++ {
		start := t0.Add(time.Duration(m) * time.Minute)
		c.Set(start.Add(59 * time.Second))
		bad := 0
		switch {
		case m >= outage && m < outage+120:
			bad = 4
		case m >= degraded && m < degraded+1080:
			bad = 1
		}
		observeMinute(e, "p", start, 20, bad)

		inOutage, inDegraded := m >= outage && m < outage+200, m >= degraded && m < degraded+1500
		if !inOutage && !inDegraded && m%60 != 59 {
			continue
		}
		s := e.Status()[0]
		wantPage := m >= outage+43 && m <= outage+139
		wantTicket := m >= degraded+864 && m <= degraded+1366
		if got := firing(s, "page"); got != wantPage {
			t.Errorf("minute %d (day %d %s): page firing = %v, want %v (burn 1h %.3f 5m %.3f 6h %.3f 30m %.3f)",
				m, m/1440, start.Format("15:04"), got, wantPage, window(t, s, "1h").BurnRate,
				window(t, s, "5m").BurnRate, window(t, s, "6h").BurnRate, window(t, s, "30m").BurnRate)
		}
		if got := firing(s, "ticket"); got != wantTicket {
			t.Errorf("minute %d (day %d %s): ticket firing = %v, want %v (burn 1d %.3f 2h %.3f 3d %.3f 6h %.3f)",
				m, m/1440, start.Format("15:04"), got, wantTicket, window(t, s, "1d").BurnRate,
				window(t, s, "2h").BurnRate, window(t, s, "3d").BurnRate, window(t, s, "6h").BurnRate)
		}
		switch m {
		case outage + 59: // 60 bad minutes
			approx(t, "burn 1h after 60 outage minutes", window(t, s, "1h").BurnRate, 20)
			approx(t, "burn 5m", window(t, s, "5m").BurnRate, 20)
			approx(t, "burn 6h", window(t, s, "6h").BurnRate, 60.0/18)
			approx(t, "burn 3d", window(t, s, "3d").BurnRate, 240.0/(4320*20)/0.01)
			// 240 bad of (10 days + 60 minutes) * 20 runs.
			total := float64((outage + 60) * 20)
			approx(t, "SLI over the window", s.Whole.SLI, (total-240)/total)
			remaining := 1 - 240/total/0.01
			approx(t, "budget remaining", s.BudgetRemaining, remaining)
			// At burn 20 the remaining budget of a 30-day window
			// lasts remaining * 30d / 20.
			want := time.Duration(remaining * float64(30*24*time.Hour) / 20)
			if d := s.TimeToExhaustion - want; !s.Exhausts || d < -time.Second || d > time.Second {
				t.Errorf("time to exhaustion = %v (%v), want %v", s.TimeToExhaustion, s.Exhausts, want)
			}
		case degraded + 1079:
			approx(t, "burn 2h in the degradation", window(t, s, "2h").BurnRate, 5)
			approx(t, "burn 1d", window(t, s, "1d").BurnRate, 1080.0/288)
		}
	}
	s := e.Status()[0]
	approx(t, "budget remaining after 30 days", s.BudgetRemaining, 1-1560.0/8640)
	if s.Whole.Events != 30*1440*20 || s.Whole.Good != 30*1440*20-1560 {
		t.Errorf("window counts %d good of %d, want %d of %d", s.Whole.Good, s.Whole.Events, 30*1440*20-1560, 30*1440*20)
	}
	if s.Exhausts {
		t.Errorf("time to exhaustion set with nothing burning: %v", s.TimeToExhaustion)
	}
	if s.Events != 30*1440*20 || s.GoodEvents != 30*1440*20-1560 {
		t.Errorf("counters %d good of %d", s.GoodEvents, s.Events)
	}
	if p := s.Budget; len(p) < 100 || p[0].Remaining != 1 || !p[0].Time.Equal(t0) || !p[len(p)-1].Time.Equal(s.Now) {
		t.Errorf("burn-down chart: %d points, first %+v, last %+v", len(p), p[0], p[len(p)-1])
	} else {
		approx(t, "chart's last point", p[len(p)-1].Remaining, s.BudgetRemaining)
	}

	// Ten days and three hours later the outage has left the window, the
	// degradation not; the window holds day 10 03:00 to day 30.
	c.Set(t0.Add(40*24*time.Hour + 3*time.Hour))
	s = e.Status()[0]
	approx(t, "budget 10 days after the last run", s.BudgetRemaining, 1-1080.0/float64((20*1440-180)*20)/0.01)
	if window(t, s, "1h").HasData() || firing(s, "page") || firing(s, "ticket") {
		t.Errorf("no runs for 10 days, yet 1h has data or an alert fires: %+v", s.Alerts)
	}
}
