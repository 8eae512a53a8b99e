package slo

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

func TestBudgetSVG(t *testing.T) {
	c := newClock(t0)
	e := mustEngine(t, []Config{{Name: "a", Probes: []string{"p"}, Objective: 99}}, nil, c)
	if svg := e.Status()[0].BudgetSVG(); svg != "" {
		t.Errorf("chart without data: %s", svg)
	}
	// Half a day good, then a bad hour overspends the budget.
	for m := 0; m < 13*60; m++ {
		start := t0.Add(time.Duration(m) * time.Minute)
		c.Set(start.Add(59 * time.Second))
		bad := 0
		if m >= 12*60 {
			bad = 5
		}
		observeMinute(e, "p", start, 10, bad)
	}
	s := e.Status()[0]
	if s.BudgetRemaining >= 0 || s.BudgetPercent() != 0 {
		t.Fatalf("budget %v (%v%%), want overspent", s.BudgetRemaining, s.BudgetPercent())
	}
	svg := string(s.BudgetSVG())
	d := xml.NewDecoder(strings.NewReader(svg))
	var polyline string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			for _, a := range se.Attr {
				if a.Name.Local == "points" {
					polyline = a.Value
				}
			}
		}
	}
	pts := strings.Fields(polyline)
	if len(pts) < 10 || !strings.Contains(svg, "#c62828") {
		t.Errorf("want a red line of many points: %s", svg)
	}
	// From the left edge (the first events), flat at the top while all
	// was good, then falling below the objective's line.
	if pts[0] != "46.0,10.0" || !strings.HasSuffix(pts[len(pts)/2], ",10.0") || strings.HasSuffix(pts[len(pts)-1], ",10.0") {
		t.Errorf("line %v", pts)
	}
	for _, want := range []string{`class="objective"`, ">objective 99%: budget spent</text>", ">100%</text>", ">0%</text>", ">-50%</text>",
		">Jan 1 00:00</text>", ">Jan 1 12:59</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %s", want)
		}
	}
	if got := s.BudgetText(); !strings.HasPrefix(got, "error budget spent: ") {
		t.Errorf("budget text %q", got)
	}
}
