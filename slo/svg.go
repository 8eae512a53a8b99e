package slo

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Chart geometry in SVG user units; the page scales it with CSS. The
// margins hold the axes' labels.
const (
	chartW, chartH                = 640.0, 180.0
	padLeft, padRight             = 46.0, 10.0
	padTop, padBottom             = 10.0, 24.0
	plotW, plotH                  = chartW - padLeft - padRight, chartH - padTop - padBottom
	colorOK, colorLow, colorSpent = "#2e7d32", "#ef6c00", "#c62828"
)

// BudgetSVG draws the error budget's burn-down over the SLO window as an
// inline SVG chart: the share of the budget left (100% at the top) from
// the window's first events (nothing is drawn of the time before the SLO
// counted anything) to now, the objective's line where the budget is
// spent (0%, below it overspent), the y axis in percent and the x axis
// with dates, and a mark at now when the window ends later (a calendar
// window). It is empty when the window has no data.
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
	lo = math.Floor(lo*4) / 4 // whole quarters of the budget
	// The x axis starts where the SLO's first events in the window are:
	// before that there is nothing to draw.
	start := s.WindowStart
	if pts[0].Time.After(start) {
		start = pts[0].Time
	}
	t0, t1 := start.Unix(), s.WindowEnd.Unix()
	if t1 <= t0 {
		t1 = t0 + 1
	}
	x := func(t int64) float64 {
		f := float64(t-t0) / float64(t1-t0)
		return padLeft + math.Max(0, math.Min(1, f))*plotW
	}
	y := func(v float64) float64 { return padTop + (1-v)/(1-lo)*plotH }

	last := pts[len(pts)-1].Remaining
	color := colorOK
	switch {
	case last < 0:
		color = colorSpent
	case last < 0.25:
		color = colorLow
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="budget-chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`,
		chartW, chartH, template.HTMLEscapeString(fmt.Sprintf("Error budget of %s over the window: %.1f%% left", s.Name, last*100)))
	b.WriteString(`<g class="y-axis" font-size="10" fill="#5b6475" text-anchor="end">`)
	for v := 1.0; v >= lo-1e-9; v -= yStep(lo) {
		if math.Abs(v) < 1e-9 {
			v = 0
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e6ec"/>`, padLeft, y(v), padLeft+plotW, y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s%%</text>`, padLeft-4, y(v)+3, strconv.FormatFloat(v*100, 'f', -1, 64))
	}
	b.WriteString(`</g>`)
	// The objective: below this line the SLO is missed.
	fmt.Fprintf(&b, `<line class="objective" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="5 3"/>`,
		padLeft, y(0), padLeft+plotW, y(0), colorSpent)
	fmt.Fprintf(&b, `<text class="objective-label" x="%.1f" y="%.1f" font-size="10" fill="%s" text-anchor="end">objective %s%%: budget spent</text>`,
		padLeft+plotW-2, y(0)-3, colorSpent, strconv.FormatFloat(s.Objective*100, 'f', -1, 64))
	// The x axis: the window's start, end and three dates between.
	fmt.Fprintf(&b, `<g class="x-axis" font-size="10" fill="#5b6475"><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#9aa3b2"/>`,
		padLeft, padTop+plotH, padLeft+plotW, padTop+plotH)
	span := s.WindowEnd.Sub(start)
	for i := 0; i <= 4; i++ {
		at := start.Add(span * time.Duration(i) / 4)
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#9aa3b2"/>`, x(at.Unix()), padTop+plotH, x(at.Unix()), padTop+plotH+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, x(at.Unix()), chartH-6, anchor, timeLabel(at, span))
	}
	b.WriteString(`</g>`)
	if s.WindowEnd.After(s.Now.Add(time.Minute)) {
		fmt.Fprintf(&b, `<line class="now" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#5b6475" stroke-dasharray="2 2"/>`,
			x(s.Now.Unix()), padTop, x(s.Now.Unix()), padTop+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#5b6475" text-anchor="middle">now</text>`, x(s.Now.Unix()), padTop+8)
	}
	var line strings.Builder
	for _, p := range pts {
		if math.IsNaN(p.Remaining) {
			continue
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		fmt.Fprintf(&line, "%.1f,%.1f", x(p.Time.Unix()), y(p.Remaining))
	}
	fmt.Fprintf(&b, `<polyline class="budget" fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, line.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// yStep is the spacing of the y axis' lines: quarters of the budget, or
// halves once it is far overspent.
func yStep(lo float64) float64 {
	switch {
	case lo < -4:
		return math.Ceil(-lo/4) * 0.5
	case lo < -1:
		return 0.5
	}
	return 0.25
}

// timeLabel writes a date of the axis: day and month for windows of days,
// with the time for shorter ones.
func timeLabel(t time.Time, span time.Duration) string {
	t = t.In(time.UTC)
	if span >= 4*24*time.Hour {
		return t.Format("Jan 2")
	}
	return t.Format("Jan 2 15:04")
}

// BudgetPercent is the budget remaining as a percentage clamped to 0..100,
// for a bar; 0 without data.
func (s Status) BudgetPercent() float64 {
	if math.IsNaN(s.BudgetRemaining) {
		return 0
	}
	return math.Max(0, math.Min(100, s.BudgetRemaining*100))
}

// BudgetText says where the budget stands in words: spent (and by how
// much), when it runs out at the current burn rate, or that nothing burns.
func (s Status) BudgetText() string {
	switch {
	case math.IsNaN(s.BudgetRemaining):
		return "no data yet"
	case s.BudgetRemaining <= 0:
		return fmt.Sprintf("error budget spent: %s%% over budget", strconv.FormatFloat(-s.BudgetRemaining*100, 'f', 1, 64))
	case s.Exhausts:
		return fmt.Sprintf("%s%% of the error budget left; at the burn rate of the last %s it is spent in %s",
			strconv.FormatFloat(s.BudgetRemaining*100, 'f', 1, 64), fmtDur(s.BurnWindow), fmtDur(s.TimeToExhaustion.Round(time.Minute)))
	}
	return fmt.Sprintf("%s%% of the error budget left; nothing burns it now", strconv.FormatFloat(s.BudgetRemaining*100, 'f', 1, 64))
}
