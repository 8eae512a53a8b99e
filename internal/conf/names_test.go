package conf

import "testing"

func TestValidLabelName(t *testing.T) {
	for _, n := range []string{"team", "_x", "a1", "env_name", "A"} {
		if !ValidLabelName(n) {
			t.Errorf("%q refused", n)
		}
	}
	for _, n := range []string{"", "1a", "a-b", "a.b", "__name__", "__x", "é", "a b"} {
		if ValidLabelName(n) {
			t.Errorf("%q accepted", n)
		}
	}
}

func TestValidMetricName(t *testing.T) {
	for _, n := range []string{"probe_x", "_x", "a1"} {
		if !ValidMetricName(n) {
			t.Errorf("%q refused", n)
		}
	}
	for _, n := range []string{"", "1a", "a-b", "a:b", "a b"} {
		if ValidMetricName(n) {
			t.Errorf("%q accepted", n)
		}
	}
}

func TestValidEnvName(t *testing.T) {
	for _, n := range []string{"PATH", "_X", "a1", "HOME_DIR"} {
		if !ValidEnvName(n) {
			t.Errorf("%q refused", n)
		}
	}
	for _, n := range []string{"", "1A", "A-B", "A=B", "A B", "${A}"} {
		if ValidEnvName(n) {
			t.Errorf("%q accepted", n)
		}
	}
}

func TestReservedLabelsAreValidNames(t *testing.T) {
	for n := range ReservedLabels {
		if !ValidLabelName(n) {
			t.Errorf("reserved label %q is not a valid label name", n)
		}
	}
}
