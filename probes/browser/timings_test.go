package browser

import (
	"strconv"
	"testing"
)

// Chromium's navigation timestamps carry the noise of subtracting large
// monotonic times; the metrics must not.
func TestTimingSamplesHaveNoFloatNoise(t *testing.T) {
	ttfb, load, lcp, cls := 6.699999999953434, 22.900000000023283, 1234.5, 0.1+0.2
	got := map[string]string{}
	for _, s := range timingSamples(timings{TTFB: &ttfb, Load: &load, LCP: &lcp, CLS: &cls}) {
		if s.Name == MetricWebVitalAvailable {
			continue
		}
		key := s.Name
		if len(s.Labels) > 0 {
			key += "/" + s.Labels[0].Value
		}
		got[key] = strconv.FormatFloat(s.Value, 'g', -1, 64)
	}
	want := map[string]string{
		"probe_browser_navigation_seconds/ttfb": "0.0067",
		"probe_browser_navigation_seconds/load": "0.0229",
		"probe_browser_web_vital_seconds/lcp":   "1.2345",
		"probe_browser_cls":                     "0.3",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("samples %v, want only %v", got, want)
	}
}
