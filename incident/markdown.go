package incident

import (
	"fmt"
	"strings"
)

// mdWriter writes the Markdown of reviews and reports. Its blocks
// (sections, tables, paragraphs) are set apart by one blank line.
type mdWriter struct{ strings.Builder }

func (b *mdWriter) f(format string, args ...any) { fmt.Fprintf(&b.Builder, format, args...) }
func (b *mdWriter) s(s string)                   { b.WriteString(s) }

// block ends what came before with a blank line, so that what follows
// starts a block of its own.
func (b *mdWriter) block() {
	switch s := b.String(); {
	case s == "" || strings.HasSuffix(s, "\n\n"):
	case strings.HasSuffix(s, "\n"):
		b.s("\n")
	default:
		b.s("\n\n")
	}
}

// section starts a section with a level 2 heading.
func (b *mdWriter) section(title string) {
	b.block()
	b.f("## %s\n\n", title)
}

// header starts a table with its header row.
func (b *mdWriter) header(cols ...string) {
	b.block()
	b.f("| %s |\n%s|\n", strings.Join(cols, " | "), strings.Repeat("|---", len(cols)))
}

// table writes a table of rows, one line each by row, or the sentence
// empty when there are no rows.
func table[T any](b *mdWriter, rows []T, empty string, header []string, row func(T)) {
	if len(rows) == 0 {
		b.block()
		b.f("%s\n", empty)
		return
	}
	b.header(header...)
	for _, r := range rows {
		row(r)
	}
}

// filter returns the elements of xs that keep accepts, in order.
func filter[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// cell makes text safe in a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}
