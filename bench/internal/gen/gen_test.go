package gen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDirectRunsOnScheduleAndCounts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 1024))
	}))
	defer srv.Close()
	g := &Generator{N: 20, Interval: 100 * time.Millisecond, Timeout: 2 * time.Second, Record: true, Run: Direct(srv.URL)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g.Start(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for g.Stats().Runs < 40 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	s := g.Stats()
	if s.Runs < 40 || s.Failures != 0 || s.Timeouts != 0 {
		t.Fatalf("runs %d, failures %d, timeouts %d", s.Runs, s.Failures, s.Timeouts)
	}
	if s.Lag.Total() != s.Runs || uint64(len(s.Durations)) != s.Runs {
		t.Errorf("lag observations %d and durations %d for %d runs", s.Lag.Total(), len(s.Durations), s.Runs)
	}
	for _, d := range s.Durations {
		if d.Total <= 0 {
			t.Fatalf("duration %v", d.Total)
		}
	}
}

func TestDirectTimesOut(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if o := Direct(srv.URL)(ctx, time.Now()); o.OK || !o.Timeout {
		t.Errorf("outcome %+v, want a timeout", o)
	}
}

func TestParseProbe(t *testing.T) {
	body := `# HELP probe_success Displays whether or not the probe was a success
# TYPE probe_success gauge
probe_success 1
probe_duration_seconds 0.1012
probe_http_duration_seconds{phase="connect"} 0.0001
probe_http_duration_seconds{phase="processing"} 0.1005
probe_http_duration_seconds{phase="transfer"} 0.0002
`
	m := parseProbe(&http.Response{Body: io.NopCloser(strings.NewReader(body))})
	if m.success != 1 || m.duration != 0.1012 || m.server < 0.10069 || m.server > 0.10071 {
		t.Errorf("parsed %+v", m)
	}
}
