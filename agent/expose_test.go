package agent

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// /metrics writes the probes' and SLOs' series without the registry; what
// it serves must be exactly what the registry gathers.
func TestMetricsTextMatchesRegistry(t *testing.T) {
	ok, broken := targets(t)
	secure := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer secure.Close()
	ta := startAgent(t, fmt.Sprintf(`
agent: {name: text, location: lab, labels: {env: "a \"quoted\" \\ value"}}
probes:
  - {name: up, target: %s, interval: 300ms, timeout: 250ms, labels: {team: web}}
  - {name: down, target: %s, interval: 300ms, timeout: 250ms, labels: {tier: "1"}}
  - {name: tls, target: %s, interval: 300ms, timeout: 250ms, http: {tls_config: {insecure_skip_verify: true}}}
  - {name: never, target: %s, interval: 24h, timeout: 1s}
slos:
  - {name: up-avail, probes: [up], objective: 99.9}
  - {name: mixed, probes: [up, down], objective: 99, window: {calendar: month, time_zone: Asia/Kathmandu}}
  - {name: sliced, probe_selector: {tier: "1"}, objective: 95, budgeting_method: timeslices, timeslice: {length: 5m, good_threshold: 0.5}}
  - {name: unused, probes: [never], objective: 99.5, window: {rolling: 7d}}
`, ok.URL, broken.URL, secure.URL, ok.URL))
	waitFor(t, "probes to run", func() bool {
		for _, p := range []string{"up", "down", "tls"} {
			if v, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": p}); v < 2 {
				return false
			}
		}
		return true
	})
	// Freeze the states so both reads see the same values.
	ta.mu.Lock()
	ta.stopScheduler()
	ta.mu.Unlock()
	ta.runs.Wait()

	for _, enc := range []string{"identity", "gzip"} {
		req, _ := http.NewRequest(http.MethodGet, ta.web.URL+"/metrics", nil)
		req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
		if enc == "gzip" {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Errorf("Content-Type %q", ct)
		}
		var body io.Reader = resp.Body
		if enc == "gzip" {
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
			}
			if body, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		parser := expfmt.NewTextParser(model.LegacyValidation)
		served, err := parser.TextToMetricFamilies(body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("parsing /metrics (%s): %v", enc, err)
		}
		gathered, err := ta.Gatherer().Gather()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]*dto.MetricFamily{}
		for _, mf := range gathered {
			want[mf.GetName()] = mf
		}
		for name := range want {
			if served[name] == nil {
				t.Errorf("%s: family %s missing from /metrics", enc, name)
			}
		}
		sloFamilies := 0
		for name, mf := range served {
			if want[name] == nil {
				t.Errorf("%s: family %s not in the registry", enc, name)
				continue
			}
			if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
				continue // they change between reads
			}
			if strings.HasPrefix(name, "slo_") {
				sloFamilies++
			}
			if got, exp := flatten(mf), flatten(want[name]); got != exp {
				t.Errorf("%s: family %s differs:\n/metrics:\n%s\nregistry:\n%s", enc, name, got, exp)
			}
		}
		if sloFamilies < 9 { // all but the time to exhaustion, which needs a burn
			t.Errorf("%s: %d SLO families served", enc, sloFamilies)
		}
	}
}

// flatten prints a family one sample a line, sorted, for comparison.
func flatten(mf *dto.MetricFamily) string {
	var lines []string
	for _, m := range mf.GetMetric() {
		var ls []string
		for _, l := range m.GetLabel() {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(ls)
		id := mf.GetName() + "{" + strings.Join(ls, ",") + "}"
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM:
			h := m.GetHistogram()
			for _, b := range h.GetBucket() {
				if !math.IsInf(b.GetUpperBound(), 1) {
					lines = append(lines, fmt.Sprintf("%s le=%g %d", id, b.GetUpperBound(), b.GetCumulativeCount()))
				}
			}
			lines = append(lines, fmt.Sprintf("%s sum=%g count=%d", id, h.GetSampleSum(), h.GetSampleCount()))
		default:
			lines = append(lines, fmt.Sprintf("%s %s %g", id, mf.GetType(), metricValue(m)))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// A scraper asking for protobuf still gets it, from the registry.
func TestMetricsProtobufFromRegistry(t *testing.T) {
	ok, _ := targets(t)
	ta := startAgent(t, fmt.Sprintf("probes:\n  - {name: up, target: %s, interval: 1s, timeout: 500ms}\n", ok.URL))
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, ta.web.URL+"/metrics", nil)
	req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "protobuf") {
		t.Fatalf("Content-Type %q, want protobuf", ct)
	}
	dec := expfmt.NewDecoder(resp.Body, expfmt.NewFormat(expfmt.TypeProtoDelim))
	var n int
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			break
		}
		if mf.GetName() == "probe_runs_total" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("probe_runs_total families in the protobuf answer: %d, want 1", n)
	}
}
