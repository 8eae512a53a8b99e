// Package report prints the benchmark's one table: a row per figure, a
// column per system, and the ratios of sloagent to the others.
package report

import (
	"fmt"
	"strings"
)

// Cell is one figure of one system; a cell with neither a value nor text
// is shown as "n/a".
type Cell struct {
	V    float64
	Ok   bool
	Text string // shown instead of V when set
}

// Val is a measured value.
func Val(v float64) Cell { return Cell{V: v, Ok: true} }

// Text is a cell shown as s, with value v for ratios (Ok false: no ratio).
func Text(s string) Cell { return Cell{Text: s} }

// Row is one figure.
type Row struct {
	Name   string
	Format string // for V, e.g. "%.3f"
	Cells  []Cell // one per system, in Table.Systems order
	// Ratio says whether sloagent/other is meaningful for this row.
	Ratio bool
}

// Table is the whole comparison. The first system is the one the ratio
// columns divide by the others.
type Table struct {
	Systems []string
	Rows    []Row
}

// Markdown renders t as a GitHub-flavoured Markdown table.
func (t Table) Markdown() string {
	var b strings.Builder
	head := append([]string{"figure"}, t.Systems...)
	for _, s := range t.Systems[1:] {
		head = append(head, t.Systems[0]+" / "+s)
	}
	line(&b, head)
	sep := make([]string, len(head))
	for i := range sep {
		sep[i] = "---:"
	}
	sep[0] = "---"
	line(&b, sep)
	for _, r := range t.Rows {
		cols := []string{r.Name}
		for i := range t.Systems {
			cols = append(cols, r.cell(i))
		}
		for i := 1; i < len(t.Systems); i++ {
			cols = append(cols, r.ratio(i))
		}
		line(&b, cols)
	}
	return b.String()
}

func (r Row) at(i int) Cell {
	if i < len(r.Cells) {
		return r.Cells[i]
	}
	return Cell{}
}

func (r Row) cell(i int) string {
	c := r.at(i)
	switch {
	case c.Text != "":
		return c.Text
	case c.Ok:
		return fmt.Sprintf(r.Format, c.V)
	}
	return "n/a"
}

func (r Row) ratio(i int) string {
	a, b := r.at(0), r.at(i)
	if !r.Ratio || !a.Ok || !b.Ok || b.V == 0 {
		return ""
	}
	return fmt.Sprintf("%.2fx", a.V/b.V)
}

func line(b *strings.Builder, cols []string) {
	b.WriteString("| ")
	b.WriteString(strings.Join(cols, " | "))
	b.WriteString(" |\n")
}
