package slo

import (
	"math"
	"time"
)

// The SRE Workbook's formulas. Every ratio is NaN when there were no events:
// no data is not good data.

// ErrorRatio is E(w) = bad / total.
func ErrorRatio(good, total float64) float64 {
	if total <= 0 {
		return math.NaN()
	}
	return (total - good) / total
}

// SLI is good / total.
func SLI(good, total float64) float64 {
	if total <= 0 {
		return math.NaN()
	}
	return good / total
}

// BurnRate is E(w) / (1 - objective), objective a ratio such as 0.999: how
// many times faster than the window allows the budget is being spent.
func BurnRate(errorRatio, objective float64) float64 {
	return errorRatio / (1 - objective)
}

// BudgetRemaining is 1 - the burn rate over the whole SLO window: the share
// of the window's error budget not yet spent (negative once overspent).
func BudgetRemaining(windowBurnRate float64) float64 { return 1 - windowBurnRate }

// TimeToExhaustion is how long the remaining budget lasts at burnRate, for
// a window of length window. It is 0 when the budget is already spent and
// ok is false when it is never exhausted (no burn) or unknown (no data).
func TimeToExhaustion(remaining, burnRate float64, window time.Duration) (d time.Duration, ok bool) {
	if math.IsNaN(remaining) || math.IsNaN(burnRate) || burnRate <= 0 {
		return 0, false
	}
	if remaining <= 0 {
		return 0, true
	}
	s := remaining * window.Seconds() / burnRate
	if s > float64(math.MaxInt64/int64(time.Second)) {
		return 0, false
	}
	return time.Duration(s * float64(time.Second)), true
}

// Firing reports whether a multi-window alert fires: the burn rate over
// both windows exceeds its factor. A window without data never fires.
func Firing(longBurn, shortBurn, factor float64) bool {
	return longBurn > factor && shortBurn > factor // false for NaN
}
