package textfmt

import (
	"math"
	"testing"
)

func TestAppend(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {42, "42"}, {-3, "-3"}, {0.25, "0.25"}, {1e20, "1e+20"},
		{math.NaN(), "NaN"}, {math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"},
	} {
		if got := string(AppendFloat(nil, tc.v)); got != tc.want {
			t.Errorf("AppendFloat(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
	if got := EscapeLabel("a\\b\n\"c\""); got != `a\\b\n\"c\"` {
		t.Errorf("EscapeLabel: %q", got)
	}
	if got := string(AppendHeader(nil, "x_total", "Runs\nand \"more\".", "counter")); got != "# HELP x_total Runs\\nand \"more\".\n# TYPE x_total counter\n" {
		t.Errorf("AppendHeader: %q", got)
	}
}
