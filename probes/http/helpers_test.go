package http

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// probeTimeout is the run timeout of tests; failing cases must end well
// within slack of it.
const (
	probeTimeout = 2 * time.Second
	slack        = 3 * time.Second
)

// parseConfig decodes an http section as the agent would.
func parseConfig(t *testing.T, src string) *Config {
	t.Helper()
	c := &Config{}
	if err := yaml.Unmarshal([]byte(src), c); err != nil {
		t.Fatalf("decoding config: %v", err)
	}
	return c
}

func newProber(t *testing.T, target string, c *Config) *prober {
	t.Helper()
	if c == nil {
		c = &Config{}
	}
	pr, err := New(target, c)
	if err != nil {
		t.Fatalf("New(%q): %v", target, err)
	}
	t.Cleanup(func() { pr.(probes.Closer).Close() })
	return pr.(*prober)
}

// probe runs one probe with the test timeout and checks it ended in time.
func probe(t *testing.T, target string, c *Config) probes.Result {
	t.Helper()
	return runProbe(t, newProber(t, target, c), probeTimeout)
}

func runProbe(t *testing.T, p probes.Prober, timeout time.Duration) probes.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	res := p.Probe(ctx, slog.New(slog.DiscardHandler))
	if took := time.Since(start); took > timeout+slack {
		t.Fatalf("probe took %s, timeout was %s", took, timeout)
	}
	return res
}

func wantSuccess(t *testing.T, res probes.Result) {
	t.Helper()
	if !res.Success || res.Reason != "" {
		t.Fatalf("want success, got reason %q: %s", res.Reason, res.Message)
	}
}

func wantFail(t *testing.T, res probes.Result, reason, msgPart string) {
	t.Helper()
	if res.Success {
		t.Fatalf("want failure %q, got success: %s", reason, res.Message)
	}
	if res.Reason != reason {
		t.Fatalf("want reason %q, got %q: %s", reason, res.Reason, res.Message)
	}
	if !strings.Contains(res.Message, msgPart) {
		t.Fatalf("message %q does not contain %q", res.Message, msgPart)
	}
}

// sample returns the value of the sample name (with label value lv, if any).
func sample(t *testing.T, res probes.Result, name string, lv ...string) float64 {
	t.Helper()
	v, ok := findSample(res, name, lv...)
	if !ok {
		t.Fatalf("no sample %s%v in %v", name, lv, res.Samples)
	}
	return v
}

func findSample(res probes.Result, name string, lv ...string) (float64, bool) {
next:
	for _, s := range res.Samples {
		if s.Name != name {
			continue
		}
		for i, v := range lv {
			if i >= len(s.Labels) || s.Labels[i].Value != v {
				continue next
			}
		}
		return s.Value, true
	}
	return 0, false
}

func ok(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) }

// tlsServer starts an HTTPS server with cert; http2 offers h2; opts
// adjust its TLS config before it starts.
func tlsServer(t *testing.T, cert tls.Certificate, http2 bool, h http.HandlerFunc, opts ...func(*tls.Config)) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.EnableHTTP2 = http2
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, o := range opts {
		o(s.TLS)
	}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are what the tests make
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func mustRegexps(t *testing.T, exprs ...string) []conf.Regexp {
	t.Helper()
	out := make([]conf.Regexp, len(exprs))
	for i, e := range exprs {
		out[i].Regexp = regexp.MustCompile(e)
	}
	return out
}
