package slo

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Chart size in SVG user units; the page scales it with CSS.
const (
	chartW, chartH = 600.0, 140.0
	chartPad       = 4.0
)

// BudgetSVG draws the budget burn-down over the window as an inline SVG
// line chart: 100% at the top, 0% as a dashed line, below it overspent.
// It is empty when the window has no data.
func (s Status) BudgetSVG() template.HTML {
	pts := s.Budget
	if len(pts) < 2 {
		return ""
	}
	lo := 0.0
	for _, p := range pts {
		if !math.IsNaN(p.Remaining) && p.Remaining < lo {
			lo = p.Remaining
		}
	}
	t0, t1 := s.WindowStart.Unix(), s.WindowEnd.Unix()
	if t1 <= t0 {
		t1 = t0 + 1
	}
	x := func(t int64) float64 {
		f := float64(t-t0) / float64(t1-t0)
		return chartPad + math.Max(0, math.Min(1, f))*(chartW-2*chartPad)
	}
	y := func(v float64) float64 {
		return chartPad + (1-v)/(1-lo)*(chartH-2*chartPad)
	}
	var line strings.Builder
	for i, p := range pts {
		if math.IsNaN(p.Remaining) {
			continue
		}
		if i > 0 {
			line.WriteByte(' ')
		}
		fmt.Fprintf(&line, "%.1f,%.1f", x(p.Time.Unix()), y(p.Remaining))
	}
	last := pts[len(pts)-1].Remaining
	color := "#2e7d32"
	switch {
	case last < 0:
		color = "#c62828"
	case last < 0.25:
		color = "#ef6c00"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="budget-chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`,
		chartW, chartH, template.HTMLEscapeString(fmt.Sprintf("Error budget of %s over the window: %.1f%% left", s.Name, last*100)))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%.0f" height="%.0f" fill="none" stroke="#ccc"/>`, chartW, chartH)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4 3"/>`,
		chartPad, y(0), chartW-chartPad, y(0))
	fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, line.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// BudgetPercent is the budget remaining as a percentage clamped to 0..100,
// for a bar; 0 without data.
func (s Status) BudgetPercent() float64 {
	if math.IsNaN(s.BudgetRemaining) {
		return 0
	}
	return math.Max(0, math.Min(100, s.BudgetRemaining*100))
}
