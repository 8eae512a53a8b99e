package main

import (
	"strings"
	"testing"
)

func TestParts(t *testing.T) {
	if got, want := partNames(), "memory, soak, herd, accuracy, rates, kinds or browser"; got != want {
		t.Errorf("partNames() = %q, want %q", got, want)
	}
	if help := onlyHelp(); !strings.HasPrefix(help, `Measure one part only: "memory" is memory with many probes`) ||
		!strings.Contains(help, `(9 with -quick); "soak" is 10,000 probes`) || !strings.HasSuffix(help, `"browser" is the browser journeys, about 9 minutes a binary (3 with -quick).`) {
		t.Errorf("onlyHelp() = %q", help)
	}
	if pt, ok := partNamed(""); !ok || len(pt.measures) != len(fullRun.measures) || !pt.cloudprober {
		t.Errorf(`partNamed("") = %+v, %v; want the full run`, pt, ok)
	}
	if _, ok := partNamed("nope"); ok {
		t.Error(`partNamed("nope") is a part`)
	}
	for _, p := range parts {
		got, ok := partNamed(p.name)
		if !ok || got.name != p.name {
			t.Errorf("partNamed(%q) = %+v, %v", p.name, got, ok)
		}
		// The browser figure runs and writes its results on its own.
		if measured := len(p.measures) > 0 && p.mode != ""; measured == (p.name == "browser") {
			t.Errorf("part %q: measures %d, mode %q", p.name, len(p.measures), p.mode)
		}
	}
}
