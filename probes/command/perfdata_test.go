package command

import (
	"reflect"
	"strconv"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in   string
		text, long string
		perf       []Perf
	}{
		{name: "text only", in: "OK - all fine\n", text: "OK - all fine"},
		{name: "empty", in: "", text: ""},
		{
			name: "check_tcp",
			in:   "TCP OK - 0.000 second response time on 127.0.0.1 port 8080|time=0.000114s;;;0.000000;10.000000\n",
			text: "TCP OK - 0.000 second response time on 127.0.0.1 port 8080",
			perf: []Perf{{Label: "time", Value: 0.000114, UOM: "s", HasMin: true, Max: 10, HasMax: true}},
		},
		{
			name: "units and thresholds",
			in:   "DISK OK | /=2643MB;5948;5958;0;5968 'used %'=91%;80;90 rtt=12ms uptime=5c load1=0,5 bad U=U junk",
			text: "DISK OK",
			perf: []Perf{
				{Label: "/", Value: 2643 << 20, UOM: "B", Warn: "5948", Crit: "5958", HasMin: true, Max: 5968 << 20, HasMax: true},
				{Label: "used %", Value: 0.91, UOM: "ratio", Warn: "80", Crit: "90"},
				{Label: "rtt", Value: 0.012, UOM: "s"},
				{Label: "uptime", Value: 5, UOM: "c"},
				{Label: "load1", Value: 0.5},
			},
		},
		{
			name: "quoted labels",
			in:   "OK | 'it''s = here'=1 'C:\\ used'=10GB;~:5;@1:2",
			text: "OK",
			perf: []Perf{{Label: "it's = here", Value: 1}, {Label: `C:\ used`, Value: 10 << 30, UOM: "B", Warn: "~:5", Crit: "@1:2"}},
		},
		{
			name: "multi-line",
			in:   "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%); | /boot=68MB;88;93;0;98\n/home=69357MB;253404;253409;0;253414\n/var/log=818MB;970;975;0;980\n",
			text: "DISK OK - free space: / 3326 MB (56%);",
			long: "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);",
			perf: []Perf{
				{Label: "/", Value: 2643 << 20, UOM: "B", Warn: "5948", Crit: "5958", HasMin: true, Max: 5968 << 20, HasMax: true},
				{Label: "/boot", Value: 68 << 20, UOM: "B", Warn: "88", Crit: "93", HasMin: true, Max: 98 << 20, HasMax: true},
				{Label: "/home", Value: 69357 << 20, UOM: "B", Warn: "253404", Crit: "253409", HasMin: true, Max: 253414 << 20, HasMax: true},
				{Label: "/var/log", Value: 818 << 20, UOM: "B", Warn: "970", Crit: "975", HasMin: true, Max: 980 << 20, HasMax: true},
			},
		},
		{
			name: "duplicates keep the first",
			in:   "OK | a=1 a=2 b=-3.5e2us",
			text: "OK",
			perf: []Perf{{Label: "a", Value: 1}, {Label: "b", Value: -350e-6, UOM: "s"}},
		},
	} {
		got := Parse(tc.in)
		if got.Text != tc.text || got.LongText != tc.long {
			t.Errorf("%s: text %q long %q", tc.name, got.Text, got.LongText)
		}
		if len(got.Perf) != len(tc.perf) {
			t.Errorf("%s: perf %+v, want %+v", tc.name, got.Perf, tc.perf)
			continue
		}
		for i := range tc.perf {
			g, w := got.Perf[i], tc.perf[i]
			if !near(g.Value, w.Value) || !near(g.Max, w.Max) {
				t.Errorf("%s: perf[%d] = %+v, want %+v", tc.name, i, g, w)
			}
			g.Value, g.Max, w.Value, w.Max = 0, 0, 0, 0
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s: perf[%d] = %+v, want %+v", tc.name, i, got.Perf[i], tc.perf[i])
			}
		}
	}
}

func near(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9 || (b != 0 && d/b < 1e-9 && d/b > -1e-9)
}

func TestPerfBounded(t *testing.T) {
	in := "OK |"
	for i := 0; i < 200; i++ {
		in += " m" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "=1"
	}
	if n := len(Parse(in).Perf); n != maxPerfData {
		t.Fatalf("kept %d items", n)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("OK | 'a''b'=1;2;3;4;5 c=U\nlong | d=1ms")
	f.Fuzz(func(t *testing.T, s string) {
		o := Parse(s)
		if len(o.Perf) > maxPerfData {
			t.Fatal(len(o.Perf))
		}
	})
}

// Values in ms, us and % are scaled without float noise: 12.3 ms is
// exported as 0.0123, not 0.012300000000000002.
func TestPerfdataScalesWithoutNoise(t *testing.T) {
	got := Parse("OK | rtt=12.3ms;;;0.1;1000.7 used=57%;;;0;100 t=0.7us big=1.1e2ms")
	want := []struct{ value, min, max string }{
		{"0.0123", "0.0001", "1.0007"}, {"0.57", "0", "1"}, {"7e-07", "", ""}, {"0.11", "", ""},
	}
	if len(got.Perf) != len(want) {
		t.Fatalf("perf %+v", got.Perf)
	}
	f := func(v float64, has bool) string {
		if !has {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	for i, w := range want {
		p := got.Perf[i]
		if g := f(p.Value, true); g != w.value {
			t.Errorf("%s = %s, want %s", p.Label, g, w.value)
		}
		if g := f(p.Min, p.HasMin); g != w.min {
			t.Errorf("%s min = %s, want %s", p.Label, g, w.min)
		}
		if g := f(p.Max, p.HasMax); g != w.max {
			t.Errorf("%s max = %s, want %s", p.Label, g, w.max)
		}
	}
}
