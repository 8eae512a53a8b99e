package http

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// probeTimeout is the run timeout of tests; failing cases must end well
// within probetest.Slack of it.
const probeTimeout = 2 * time.Second

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
	return probetest.Run(t, newProber(t, target, c), probeTimeout)
}

// largeTimeout is for runs that must fail by what a target sends (a head
// of a megabyte), not by the clock: on a loaded machine, under the race
// detector, reading it may take longer than probeTimeout. A run that
// passes does not wait for it.
const largeTimeout = 30 * time.Second

func probeLarge(t *testing.T, target string, c *Config) probes.Result {
	t.Helper()
	return probetest.Run(t, newProber(t, target, c), largeTimeout)
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
