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

// Budget is 1 - objective as the fraction Num/Den of two integers, so that
// burn rates come out of the counts with a single rounding: 7 bad runs of
// 20 against 99.9 is a burn rate of 350, where 0.35 / 0.001 in floating
// point is 349.99999999999994.
type Budget struct{ Num, Den float64 }

// NewBudget returns 1 - objective for an objective in percent, to nine
// decimals (99.9 is 1/1000).
func NewBudget(objectivePercent float64) Budget {
	const scale = 100 * 1e9
	num := int64(math.Round((100 - objectivePercent) * 1e9))
	den := int64(scale)
	if num <= 0 {
		return Budget{0, 1}
	}
	g := gcd(num, den)
	return Budget{float64(num / g), float64(den / g)}
}

// Ratio is the budget as a float, for what is not a burn rate.
func (b Budget) Ratio() float64 { return b.Num / b.Den }

// BurnRate is the error ratio of good out of total over the budget, NaN
// without events. Num and Den are small, so bad*Den and total*Num are
// exact up to counts far beyond a window's, and the quotient is the
// correctly rounded burn rate.
func (b Budget) BurnRate(good, total uint64) float64 {
	if total == 0 {
		return math.NaN()
	}
	return float64(total-good) * b.Den / (float64(total) * b.Num)
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
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
