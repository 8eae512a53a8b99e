package agent

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/expo"
	"github.com/sloagent/sloagent/probes"
	httpprobe "github.com/sloagent/sloagent/probes/http"
)

// benchResult is a real HTTP probe result against a local server, with the
// samples every HTTP run reports.
func benchResult(b *testing.B) (probes.Result, string) {
	b.Helper()
	body := bytes.Repeat([]byte("x"), 1024)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	b.Cleanup(srv.Close)
	pr, err := httpprobe.New(srv.URL, &httpprobe.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res := pr.Probe(ctx, nil)
	if !res.Success {
		b.Fatalf("probe failed: %s", res.Message)
	}
	return res, srv.URL
}

// BenchmarkRecord is storing one run's result for /metrics and the status
// page: the duration histogram, the counters and the last samples.
func BenchmarkRecord(b *testing.B) {
	res, _ := benchResult(b)
	st := newProbeState("p")
	layouts := expo.NewLayouts()
	b.ReportAllocs()
	for b.Loop() {
		st.record(res, time.Now(), layouts, false)
	}
}

// BenchmarkScheduleRun is the agent's whole overhead around one run: the
// runner's worker, the concurrency limit, the deadline, the lag and
// in-flight metrics and recording the result. The prober returns at once.
func BenchmarkScheduleRun(b *testing.B) {
	res, _ := benchResult(b)
	a := New(Options{})
	st := newProbeState("p")
	st.cfg = &config.ProbeConfig{Name: "p", Kind: "http", Timeout: conf.Duration(time.Second)}
	run := a.runOf(st, probes.ProberFunc(func(context.Context, *slog.Logger) probes.Result { return res }), true)
	run.Running = nil // the same probe many times at once
	b.ReportAllocs()
	for b.Loop() {
		run.Planned = time.Now()
		a.runner.Start(run)
	}
	a.runner.Wait(context.Background())
}

// BenchmarkMetrics renders /metrics for many HTTP probes that have all
// run, as plain text and as Prometheus asks for it (OpenMetrics, gzip).
func BenchmarkMetrics(b *testing.B) {
	res, url := benchResult(b)
	for _, n := range []int{1000, 10000} {
		benchScrapes(b, fmt.Sprintf("probes=%d", n), benchAgent(b, n, url, res).Handler())
	}
}

// protobufAccept is what Prometheus asks for with native histograms on.
const protobufAccept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3"

// benchScrapes reads /metrics from h as plain text, as Prometheus asks for
// it (OpenMetrics, gzip), and as protobuf.
func benchScrapes(b *testing.B, name string, h http.Handler) {
	for _, format := range []struct{ name, accept, encoding string }{
		{"text", "text/plain;version=0.0.4", "identity"},
		{"prometheus", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "gzip"},
		{"protobuf", protobufAccept, "identity"},
		{"protobuf-gzip", protobufAccept, "gzip"},
	} {
		sub := format.name
		if name != "" {
			sub = name + "/" + sub
		}
		b.Run(sub, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept", format.accept)
			req.Header.Set("Accept-Encoding", format.encoding)
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				w := &discardWriter{header: http.Header{}}
				h.ServeHTTP(w, req)
				if w.status != 0 && w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
				b.SetBytes(w.n)
			}
			if cpu > 0 {
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// benchAgent loads a config of n probes of url and records res as every
// probe's last run. The probes' interval is a day, so the scheduler leaves
// the states alone while the benchmark runs.
func benchAgent(b *testing.B, n int, url string, res probes.Result) *Agent {
	b.Helper()
	var cfg strings.Builder
	cfg.WriteString("agent:\n  name: bench\nprobes:\n")
	for i := range n {
		fmt.Fprintf(&cfg, "  - name: p%05d\n    target: %s\n    interval: 24h\n    timeout: 10s\n", i, url)
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "sloagent.yml")
	if err := os.WriteFile(file, []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	a := loadedAgent(b, Options{ConfigFile: file, StateDir: filepath.Join(dir, "state")})
	now := time.Now()
	a.mu.RLock()
	for _, st := range a.states {
		st.record(res, now, a.layouts, false)
	}
	a.mu.RUnlock()
	return a
}

// discardWriter counts a response and throws it away.
type discardWriter struct {
	header http.Header
	status int
	n      int64
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
