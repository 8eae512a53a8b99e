package report

import "testing"

func TestMarkdown(t *testing.T) {
	tb := Table{
		Systems: []string{"a", "b", "c"},
		Rows: []Row{
			{Name: "cpu", Format: "%.2f", Ratio: true, Cells: []Cell{Val(0.5), Val(2), Val(0.25)}},
			{Name: "max", Format: "%.0f", Ratio: true, Cells: []Cell{Val(4000), {}, Val(0)}},
			{Name: "acc", Cells: []Cell{Text("+0.1 ± 0.2 ms"), Text("x")}},
		},
	}
	want := "| figure | a | b | c | a / b | a / c |\n" +
		"| --- | ---: | ---: | ---: | ---: | ---: |\n" +
		"| cpu | 0.50 | 2.00 | 0.25 | 0.25x | 2.00x |\n" +
		"| max | 4000 | n/a | 0 |  |  |\n" +
		"| acc | +0.1 ± 0.2 ms | x | n/a |  |  |\n"
	if got := tb.Markdown(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
