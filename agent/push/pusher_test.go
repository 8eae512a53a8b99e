package push

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/testutil"
)

// testPusher pushes with short backoffs to the given targets.
func testPusher(t *testing.T, rw, pg string, retries int) *Pusher {
	t.Helper()
	cfg := Config{MaxRetries: &retries, MinBackoff: conf.Duration(10 * time.Millisecond), MaxBackoff: conf.Duration(40 * time.Millisecond)}
	if rw != "" {
		cfg.RemoteWrite = &Endpoint{URL: rw, BearerToken: "s3cret", Headers: map[string]string{"X-Scope-OrgID": "team-a"}}
	}
	if pg != "" {
		cfg.Pushgateway = &PushgatewayConfig{Endpoint{URL: pg, BasicAuth: &BasicAuth{Username: "u", Password: "p"}}}
	}
	cfg.ApplyDefaults()
	p, err := New(cfg, "edge/1", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sampleFamilies gathers a counter, a gauge and a histogram.
func sampleFamilies(t *testing.T) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "slo_events_total", Help: "h", ConstLabels: prometheus.Labels{"slo": "web"}})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "probe_success", Help: "h", ConstLabels: prometheus.Labels{"probe": "home"}})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "probe_run_duration_seconds", Help: "h", Buckets: []float64{.1, 1},
		NativeHistogramBucketFactor: 1.1})
	reg.MustRegister(c, g, h)
	c.Add(3)
	g.Set(1)
	h.Observe(0.5)
	h.Observe(2)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

func TestRemoteWriteRetriesServerErrorsOnly(t *testing.T) {
	var calls, status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get("X-Scope-OrgID") != "team-a" ||
			r.Header.Get("Content-Encoding") != "snappy" {
			t.Errorf("request headers %v", r.Header)
		}
		if body, _ := io.ReadAll(r.Body); len(body) == 0 {
			t.Error("empty remote write body")
		}
		http.Error(w, "out of order sample", int(status.Load()))
	}))
	defer srv.Close()
	p := testPusher(t, srv.URL+"/api/v1/write", "", 2)
	b := Batch{Families: sampleFamilies(t), At: time.Now(), Start: time.Now()}

	status.Store(http.StatusServiceUnavailable)
	err := p.Push(context.Background(), b)
	if err == nil || !strings.Contains(err.Error(), "failed after 3 attempt(s)") || !strings.Contains(err.Error(), "503") {
		t.Errorf("push error %v; want it to name 3 attempts and the 503", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d requests for 2 retries; want 3", n)
	}

	// No retries means one attempt (the exp client's own 0 is forever).
	calls.Store(0)
	if err := testPusher(t, srv.URL+"/api/v1/write", "", 0).Push(context.Background(), b); err == nil || calls.Load() != 1 {
		t.Errorf("max_retries 0: %d requests, error %v; want 1 request and an error", calls.Load(), err)
	}

	// A refused write is not retried: it would be refused again.
	calls.Store(0)
	status.Store(http.StatusBadRequest)
	if err := p.Push(context.Background(), b); err == nil || !strings.Contains(err.Error(), "out of order sample") {
		t.Errorf("push error %v; want the server's message", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d requests for a 400; want 1", n)
	}
}

func TestPushgatewayGetsTheTextFormat(t *testing.T) {
	var calls atomic.Int32
	var got map[string]*dto.MetricFamily
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		// The agent's name has a slash, so it travels base64-encoded.
		if r.Method != http.MethodPut || r.URL.Path != "/metrics/job/sloagent/instance@base64/ZWRnZS8x" {
			t.Errorf("%s %s; want PUT to the agent's group", r.Method, r.URL.Path)
		}
		if u, pw, _ := r.BasicAuth(); u != "u" || pw != "p" {
			t.Errorf("basic auth %q %q", u, pw)
		}
		var err error
		parser := expfmt.NewTextParser(model.UTF8Validation)
		got, err = parser.TextToMetricFamilies(r.Body)
		if err != nil {
			t.Errorf("pushed text does not parse: %v", err)
		}
	}))
	defer srv.Close()
	p := testPusher(t, "", srv.URL+"/", 3)
	if err := p.Push(context.Background(), Batch{Families: sampleFamilies(t), At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d requests; want a retry after the 503", n)
	}
	if v := got["slo_events_total"].GetMetric()[0].GetCounter().GetValue(); v != 3 {
		t.Errorf("slo_events_total = %v, want 3", v)
	}
	if h := got["probe_run_duration_seconds"].GetMetric()[0].GetHistogram(); h.GetSampleCount() != 2 {
		t.Errorf("histogram count %d, want 2", h.GetSampleCount())
	}
}

func TestPushToDeadEndpointFailsClearly(t *testing.T) {
	p := testPusher(t, "http://127.0.0.1:"+strconv.Itoa(testutil.FreePort(t))+"/api/v1/write", "", 1)
	err := p.Push(context.Background(), Batch{Families: sampleFamilies(t), At: time.Now()})
	if err == nil || !strings.Contains(err.Error(), "failed after 2 attempt(s)") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("push error %v; want attempts and the cause", err)
	}
}

// Counters of one-shot runs add up across runs in the state dir; series
// that start in a run are reported fresh.
func TestAccumulateCounters(t *testing.T) {
	dir := t.TempDir()
	first := sampleFamilies(t)
	fresh, err := Accumulate(dir, first)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seriesOf(first, nil, 0) {
		if s.counter != fresh[s.key] {
			t.Errorf("%s: counter %v, fresh %v; every counter series is fresh in the first run", s.key, s.counter, fresh[s.key])
		}
	}
	second := sampleFamilies(t)
	fresh, err = Accumulate(dir, second)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != 0 {
		t.Errorf("fresh series in the second run: %v", fresh)
	}
	values := map[string]float64{}
	for _, s := range seriesOf(second, nil, 0) {
		values[s.labels[0].value+labelsOf(s)] = s.samples[0].value
	}
	want := map[string]float64{
		"slo_events_total slo=web":                  6,
		"probe_success probe=home":                  1, // a gauge stays as it is
		"probe_run_duration_seconds_bucket le=0.1":  0,
		"probe_run_duration_seconds_bucket le=1":    2,
		"probe_run_duration_seconds_bucket le=+Inf": 4,
		"probe_run_duration_seconds_count":          4,
		"probe_run_duration_seconds_sum":            5,
	}
	for k, v := range want {
		if values[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, values[k], v, values)
		}
	}

	// A state dir that cannot be made: every counter starts from zero.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	third := sampleFamilies(t)
	fresh, err = Accumulate(filepath.Join(blocker, "state"), third)
	if err == nil {
		t.Error("no error for a state dir under a file")
	}
	if !fresh[seriesKey("slo_events_total", []labelPair{{"slo", "web"}})] {
		t.Error("counters not fresh without state")
	}
	for _, s := range seriesOf(third, nil, 0) {
		if s.labels[0].value == "slo_events_total" && s.samples[0].value != 3 {
			t.Errorf("slo_events_total = %v without state; want the run's own 3", s.samples[0].value)
		}
	}
}

// labelsOf renders a series' labels but __name__ as " k=v k=v".
func labelsOf(s timeSeries) string {
	var b strings.Builder
	for _, l := range s.labels {
		if l.name != "__name__" {
			b.WriteString(" " + l.name + "=" + l.value)
		}
	}
	return b.String()
}
