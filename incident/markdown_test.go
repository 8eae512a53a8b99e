package incident

import (
	"slices"
	"testing"
)

// Blocks are set apart by exactly one blank line, whatever the text
// before them ended with.
func TestMarkdownBlocks(t *testing.T) {
	t.Parallel()
	b := &mdWriter{}
	b.section("First")
	b.s("text without a newline")
	b.section("Second")
	b.s("a line\n")
	b.header("a", "b")
	b.s("| 1 | 2 |\n")
	b.s("paragraph\n\n")
	b.section("Third")
	want := "## First\n\ntext without a newline\n\n## Second\n\na line\n\n| a | b |\n|---|---|\n| 1 | 2 |\nparagraph\n\n## Third\n\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// A table without rows is the sentence that says so.
func TestMarkdownTable(t *testing.T) {
	t.Parallel()
	row := func(b *mdWriter) func(int) { return func(n int) { b.f("| %d | %d |\n", n, n*n) } }
	b := &mdWriter{}
	table(b, []int{2, 3}, "No numbers.", []string{"n", "n²"}, row(b))
	table(b, nil, "No numbers.", []string{"n", "n²"}, row(b))
	want := "| n | n² |\n|---|---|\n| 2 | 4 |\n| 3 | 9 |\n\nNo numbers.\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestFilter(t *testing.T) {
	t.Parallel()
	even := func(n int) bool { return n%2 == 0 }
	if got := filter([]int{1, 2, 3, 4, 6}, even); !slices.Equal(got, []int{2, 4, 6}) {
		t.Errorf("got %v", got)
	}
	if got := filter([]int{1, 3}, even); len(got) != 0 {
		t.Errorf("got %v", got)
	}
}
