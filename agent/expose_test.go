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
	"google.golang.org/protobuf/proto"
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
	// Freeze the states so both reads see the same values.
	freezeAfterRuns(t, ta, "up", "down", "tls")

	for _, enc := range []string{"identity", "gzip"} {
		req, _ := http.NewRequest(http.MethodGet, ta.web.URL+"/metrics", nil)
		req.Header.Set("Accept", "text/plain;version=0.0.4")
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

// A scraper asking for protobuf (Prometheus with native histograms) gets
// exactly what the registry gathers, native histograms included, written
// from the same state as the text.
func TestMetricsProtobufMatchesRegistry(t *testing.T) {
	ok, broken := targets(t)
	ta := startAgent(t, fmt.Sprintf(`
agent: {name: proto, location: lab, labels: {env: test}}
probes:
  - {name: up, target: %s, interval: 300ms, timeout: 250ms, labels: {team: web}}
  - {name: down, target: %s, interval: 300ms, timeout: 250ms}
slos:
  - {name: web, probes: [up, down], objective: 99}
`, ok.URL, broken.URL))
	freezeAfterRuns(t, ta, "down")

	for _, enc := range []string{"identity", "gzip"} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, ta.web.URL+"/metrics", nil)
		req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
		req.Header.Set("Accept-Encoding", enc)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "protobuf") {
			t.Fatalf("Content-Type %q, want protobuf", ct)
		}
		var body io.Reader = resp.Body
		if enc == "gzip" {
			if body, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		served := map[string]*dto.MetricFamily{}
		for _, mf := range protoFamilies(t, body) {
			if served[mf.GetName()] != nil {
				t.Errorf("family %s served twice", mf.GetName())
			}
			served[mf.GetName()] = mf
		}
		resp.Body.Close()
		gathered, err := ta.Gatherer().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range gathered {
			name := want.GetName()
			got := served[name]
			if got == nil {
				t.Errorf("%s: family %s missing", enc, name)
				continue
			}
			if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || name == "sloagent_scheduler_lag_seconds" {
				continue // they change between reads
			}
			normalize(got)
			normalize(want)
			if !proto.Equal(got, want) {
				t.Errorf("%s: family %s differs:\nserved:   %v\nregistry: %v", enc, name, got, want)
			}
		}
		if h := served["probe_run_duration_seconds"]; h == nil || h.GetMetric()[0].GetHistogram().GetSchema() == 0 ||
			len(h.GetMetric()[0].GetHistogram().GetPositiveSpan()) == 0 {
			t.Errorf("%s: the run duration histogram has no native buckets: %v", enc, h)
		}
	}
}

// protoFamilies decodes a delimited protobuf exposition, in the order
// served.
func protoFamilies(t *testing.T, r io.Reader) []*dto.MetricFamily {
	t.Helper()
	var out []*dto.MetricFamily
	dec := expfmt.NewDecoder(r, expfmt.NewFormat(expfmt.TypeProtoDelim))
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, mf)
	}
}

// normalize sorts a family's labels and series, as registries do.
func normalize(mf *dto.MetricFamily) {
	for _, m := range mf.Metric {
		sort.Slice(m.Label, func(i, j int) bool { return m.Label[i].GetName() < m.Label[j].GetName() })
	}
	sort.Slice(mf.Metric, func(i, j int) bool { return mf.Metric[i].String() < mf.Metric[j].String() })
}

// Text and protobuf are written by two encoders from one walk over the
// state: a scrape in either format carries the same samples (protobuf's
// histograms with native buckets besides the classic ones).
func TestMetricsTextAndProtobufCarryTheSameSamples(t *testing.T) {
	ok, broken := targets(t)
	ta := startAgent(t, fmt.Sprintf(`
agent: {name: both, location: lab, labels: {env: "a \"quoted\" \\ value"}}
probes:
  - {name: up, target: %s, interval: 300ms, timeout: 250ms, labels: {team: web}}
  - {name: down, target: %s, interval: 300ms, timeout: 250ms, labels: {tier: "1"}}
  - {name: never, target: %s, interval: 24h, timeout: 1s}
slos:
  - {name: up-avail, probes: [up], objective: 99.9}
  - {name: mixed, probes: [up, down], objective: 99, window: {rolling: 7d}}
  - {name: sliced, probe_selector: {tier: "1"}, objective: 95, budgeting_method: timeslices, timeslice: {length: 5m, good_threshold: 0.5}}
`, ok.URL, broken.URL, ok.URL))
	freezeAfterRuns(t, ta, "down")

	read := func(accept string) map[string]string {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, ta.web.URL+"/metrics", nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		fams := map[string]*dto.MetricFamily{}
		if strings.Contains(resp.Header.Get("Content-Type"), "protobuf") {
			for _, mf := range protoFamilies(t, resp.Body) {
				fams[mf.GetName()] = mf
			}
		} else {
			parser := expfmt.NewTextParser(model.LegacyValidation)
			if fams, err = parser.TextToMetricFamilies(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		out := map[string]string{}
		for name, mf := range fams {
			if !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
				out[name] = flatten(mf)
			}
		}
		return out
	}
	// The SLOs' windows move on at each new minute: compare a protobuf
	// read with the text read before it only when the text read after it
	// is the same.
	var text, pb map[string]string
	for range 3 {
		text = read("text/plain;version=0.0.4")
		pb = read(protobufAccept)
		if again := read("text/plain;version=0.0.4"); fmt.Sprint(again) == fmt.Sprint(text) {
			break
		}
	}
	for name, want := range text {
		if got, ok := pb[name]; !ok {
			t.Errorf("family %s missing from protobuf", name)
		} else if got != want {
			t.Errorf("family %s differs:\ntext:\n%s\nprotobuf:\n%s", name, want, got)
		}
	}
	for name := range pb {
		if _, ok := text[name]; !ok {
			t.Errorf("family %s missing from text", name)
		}
	}
	for _, name := range []string{"probe_http_duration_seconds", "probe_failures_total", "slo_window_events", "slo_alert_firing", "probe_run_duration_seconds"} {
		if text[name] == "" {
			t.Errorf("no %s served", name)
		}
	}
}

// freezeAfterRuns waits until each named probe has run twice, then stops
// the scheduler and waits for the runs in flight: reads of /metrics from
// then on see the same state.
func freezeAfterRuns(t *testing.T, ta *testAgent, names ...string) {
	t.Helper()
	waitFor(t, "probes to run", func() bool {
		for _, p := range names {
			if v, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": p}); v < 2 {
				return false
			}
		}
		return true
	})
	ta.mu.Lock()
	ta.stopScheduler()
	ta.mu.Unlock()
	ta.runner.Wait(context.Background())
}
