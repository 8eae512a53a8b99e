package expo

import (
	"fmt"
	"testing"

	"github.com/sloagent/sloagent/probes"
)

func httpLikeSamples(status float64, version string) []probes.Sample {
	return []probes.Sample{
		{Name: "probe_http_duration_seconds", Help: "h", Labels: []probes.Label{{Name: "phase", Value: "connect"}}, Value: 0.001},
		{Name: "probe_http_status_code", Help: "s", Value: status},
		{Name: "probe_tls_version_info", Help: "t", Labels: []probes.Label{{Name: "version", Value: version}}, Value: 1},
	}
}

func TestSampleSetsShareLayouts(t *testing.T) {
	layouts := NewLayouts()
	a := layouts.Compact(Samples{}, httpLikeSamples(200, "TLS 1.3"))
	b := layouts.Compact(Samples{}, httpLikeSamples(503, "TLS 1.3"))
	if a.layout != b.layout {
		t.Error("two probes with samples of the same names and labels have separate layouts")
	}
	if got := b.At(1); got.Name != "probe_http_status_code" || got.Value != 503 || got.Help != "s" {
		t.Errorf("b.At(1) = %+v", got)
	}
	if a.At(1).Value != 200 {
		t.Errorf("a's value changed to %v when b was stored", a.At(1).Value)
	}

	// The same probe's next run reuses its layout without interning.
	run := httpLikeSamples(404, "TLS 1.3")
	next := layouts.Compact(a, run)
	if next.layout != a.layout || next.At(1).Value != 404 {
		t.Errorf("next run: layout reused %v, status %v", next.layout == a.layout, next.At(1).Value)
	}
	// Nothing of the run's own slice is kept.
	run[0].Labels[0].Value = "changed"
	run[1].Value = 1
	if l := next.At(0).Labels[0].Value; l != "connect" || next.At(1).Value != 404 {
		t.Errorf("the stored set follows the run's slice: label %q, status %v", l, next.At(1).Value)
	}

	// A different label value is a different layout.
	other := layouts.Compact(a, httpLikeSamples(200, "TLS 1.2"))
	if other.layout == a.layout || other.At(2).Labels[0].Value != "TLS 1.2" {
		t.Errorf("a changed label value kept the old layout: %+v", other.At(2))
	}
	if empty := layouts.Compact(a, nil); empty.Len() != 0 {
		t.Errorf("a run without samples stored %d", empty.Len())
	}
}

// Label values that change every run must not grow the shared layouts
// without bound.
func TestSampleLayoutsAreBounded(t *testing.T) {
	layouts := NewLayouts()
	for i := range maxLayouts + 100 {
		s := layouts.Compact(Samples{}, []probes.Sample{{Name: "plugin_request", Labels: []probes.Label{{Name: "id", Value: fmt.Sprint(i)}}, Value: float64(i)}})
		if s.At(0).Labels[0].Value != fmt.Sprint(i) || s.At(0).Value != float64(i) {
			t.Fatalf("run %d stored %+v", i, s.At(0))
		}
	}
	layouts.mu.Lock()
	n := len(layouts.m)
	layouts.mu.Unlock()
	if n > maxLayouts {
		t.Errorf("%d shared layouts, want at most %d", n, maxLayouts)
	}
}
