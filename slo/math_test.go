package slo

import (
	"math"
	"strconv"
	"testing"
	"time"
)

const month = 30 * 24 * time.Hour

func TestFormulas(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name             string
		good, total      float64
		objective        float64
		sli, err, burn   float64
		remaining, tteIn float64 // tteIn: days; NaN when none
	}{
		// SRE Workbook, chapter 5, table 5-4: a 99.9% SLO over 30 days.
		{"burn 1 lasts the window", 999, 1000, 0.999, 0.999, 0.001, 1, 0, nan},
		{"0.2% errors burn 2: 15 days", 998, 1000, 0.999, 0.998, 0.002, 2, -1, 0},
		{"1% errors burn 10: 3 days", 99, 100, 0.999, 0.99, 0.01, 10, -9, 0},
		{"100% errors burn 1000", 0, 50, 0.999, 0, 1, 1000, -999, 0},
		{"all good", 100, 100, 0.999, 1, 0, 0, 1, nan},
		{"no data is not good data", 0, 0, 0.999, nan, nan, nan, nan, nan},
		{"99% objective, 5% errors", 95, 100, 0.99, 0.95, 0.05, 5, -4, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			approx(t, "SLI", SLI(tc.good, tc.total), tc.sli)
			e := ErrorRatio(tc.good, tc.total)
			approx(t, "error ratio", e, tc.err)
			b := BurnRate(e, tc.objective)
			approx(t, "burn rate", b, tc.burn)
			approx(t, "budget remaining", BudgetRemaining(b), tc.remaining)
		})
	}
}

// With the whole budget left, the Workbook's table 5-4 times to exhaustion
// of a 30-day window: burn rate 2 in 15 days, 10 in 3 days, 1000 in 43 min.
func TestTimeToExhaustion(t *testing.T) {
	for _, tc := range []struct {
		remaining, burn float64
		window          time.Duration
		want            time.Duration
		ok              bool
	}{
		{1, 1, month, month, true},
		{1, 2, month, 15 * 24 * time.Hour, true},
		{1, 10, month, 3 * 24 * time.Hour, true},
		{1, 1000, month, 43*time.Minute + 12*time.Second, true},
		{0.5, 14.4, month, 25 * time.Hour, true},
		{-0.2, 3, month, 0, true},          // already spent
		{0.7, 0, month, 0, false},          // nothing burns
		{math.NaN(), 2, month, 0, false},   // no data over the window
		{0.7, math.NaN(), month, 0, false}, // no data now
	} {
		got, ok := TimeToExhaustion(tc.remaining, tc.burn, tc.window)
		if ok != tc.ok || (got-tc.want).Abs() > time.Millisecond {
			t.Errorf("TimeToExhaustion(%v, %v, %v) = %v, %v; want %v, %v", tc.remaining, tc.burn, tc.window, got, ok, tc.want, tc.ok)
		}
	}
}

// The Workbook's alert thresholds are budget shares: burn 14.4 over 1h
// spends 2% of a 30-day budget, 6 over 6h 5%, 3 over 1d and 1 over 3d 10%.
func TestWorkbookThresholdsAreBudgetShares(t *testing.T) {
	for _, a := range append(workbookAlerts["page"], workbookAlerts["ticket"]...) {
		spent := a.BurnRate * float64(a.LongWindow.D()) / float64(month)
		want := map[float64]float64{14.4: 0.02, 6: 0.05, 3: 0.10, 1: 0.10}[a.BurnRate]
		approx(t, "budget spent by burn "+num(a.BurnRate)+" over "+fmtDur(a.LongWindow.D()), spent, want)
	}
}

func TestFiring(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		long, short, factor float64
		want                bool
	}{
		{15, 15, 14.4, true},
		{14.4, 20, 14.4, false}, // exceed, not reach
		{20, 14, 14.4, false},   // the short window has recovered
		{13, 100, 14.4, false},  // a short spike only
		{nan, 20, 14.4, false},  // no data never fires
		{20, nan, 14.4, false},
	} {
		if got := Firing(tc.long, tc.short, tc.factor); got != tc.want {
			t.Errorf("Firing(%v, %v, %v) = %v, want %v", tc.long, tc.short, tc.factor, got, tc.want)
		}
	}
}

// Alert windows are the Workbook's for 30 days, scaled to other windows and
// rounded to whole minutes; burn-rate factors stay.
func TestAlertWindowsScale(t *testing.T) {
	for _, tc := range []struct {
		w    WindowConfig
		want string
	}{
		{WindowConfig{}, "page 1h/5m>14.4 6h/30m>6 ticket 1d/2h>3 3d/6h>1"},
		{WindowConfig{Calendar: Month, TimeZone: "UTC"}, "page 1h/5m>14.4 6h/30m>6 ticket 1d/2h>3 3d/6h>1"},
		{WindowConfig{Rolling: dur(28 * 24 * time.Hour)}, "page 56m/5m>14.4 5h36m/28m>6 ticket 22h24m/1h52m>3 2d19h12m/5h36m>1"},
		{WindowConfig{Calendar: Week, TimeZone: "UTC"}, "page 14m/1m>14.4 1h24m/7m>6 ticket 5h36m/28m>3 16h48m/1h24m>1"},
		{WindowConfig{Rolling: dur(90 * 24 * time.Hour)}, "page 3h/15m>14.4 18h/1h30m>6 ticket 3d/6h>3 9d/18h>1"},
	} {
		sp, err := newSpan(tc.w)
		if err != nil {
			t.Fatal(err)
		}
		a := alertWindows(AlertingConfig{}, sp)
		got := ""
		for _, sev := range severities {
			got += sev
			for _, p := range a[sev] {
				got += " " + fmtDur(p.LongWindow.D()) + "/" + fmtDur(p.ShortWindow.D()) + ">" + num(p.BurnRate)
			}
			got += " "
		}
		if got[:len(got)-1] != tc.want {
			t.Errorf("%s: got %q, want %q", sp, got[:len(got)-1], tc.want)
		}
	}
	custom := AlertingConfig{Page: []BurnRateAlert{{LongWindow: dur(2 * time.Hour), ShortWindow: dur(10 * time.Minute), BurnRate: 10}}}
	a := alertWindows(custom, span{rolling: month})
	if len(a["page"]) != 1 || a["page"][0].BurnRate != 10 || len(a["ticket"]) != 2 {
		t.Errorf("configured page alerts replace the page list only: %+v", a)
	}
}

// Burn rates are the correctly rounded quotient of the counts, with no
// float noise from 1 - objective: 7 bad of 20 against 99.9 is 350, where
// 0.35 / 0.001 is 349.99999999999994.
func TestBudgetBurnRateIsExact(t *testing.T) {
	for _, tc := range []struct {
		objective   float64
		good, total uint64
		want        string
	}{
		{99.9, 13, 20, "350"},
		{99.9, 997, 1000, "3"},
		{99.9, 1, 3, "666.6666666666666"},
		{99, 93, 100, "7"},
		{99, 2, 3, "33.333333333333336"},
		{99.7, 0, 1, "333.3333333333333"},
		{95, 19, 20, "1"},
		{99.95, 999, 1000, "2"},
		{99.9, 10, 10, "0"},
		{99.9, 2_591_999, 2_592_000, "0.00038580246913580245"},
	} {
		b := NewBudget(tc.objective)
		if got := strconv.FormatFloat(b.BurnRate(tc.good, tc.total), 'g', -1, 64); got != tc.want {
			t.Errorf("objective %g, %d good of %d: burn rate %s, want %s", tc.objective, tc.good, tc.total, got, tc.want)
		}
	}
	if r := NewBudget(99.9).Ratio(); r != 0.001 {
		t.Errorf("budget of 99.9 = %v", r)
	}
	if !math.IsNaN(NewBudget(99.9).BurnRate(0, 0)) {
		t.Error("no events must have no burn rate")
	}
}
