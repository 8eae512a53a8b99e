package http

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/quic-go/quic-go/http3"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// h3Server serves h over HTTP/3 on a UDP port of 127.0.0.1 and returns its
// https:// URL.
func h3Server(t *testing.T, cert tls.Certificate, h http.HandlerFunc) string {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &http3.Server{
		TLSConfig: http3.ConfigureTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}),
		Handler:   h,
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(conn) }()
	t.Cleanup(func() {
		s.Close()
		conn.Close()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("HTTP/3 server: %v", err)
		}
	})
	return "https://" + conn.LocalAddr().String()
}

func TestHTTP3(t *testing.T) {
	pki := testutil.NewCerts(t)
	var proto atomic.Value
	url := h3Server(t, pki.Server(t), func(w http.ResponseWriter, r *http.Request) {
		proto.Store(r.Proto)
		w.Header().Set("X-Served", "h3")
		w.Write([]byte("over quic"))
	})
	c := probetest.Section[Config](t, `
enable_http3: true
valid_http_versions: [HTTP/3.0]
fail_if_body_not_matches_regexp: [quic]
fail_if_header_not_matches: [{header: X-Served, regexp: h3}]
tls_config: {ca_file: `+pki.CAFile+`}
`)
	res := probe(t, url, c)
	probetest.WantSuccess(t, res)
	if proto.Load() != "HTTP/3.0" {
		t.Errorf("server saw %v", proto.Load())
	}
	for name, want := range map[string]float64{MetricVersion: 3, MetricStatusCode: 200, MetricSSL: 1, MetricUncompressedBody: 9, MetricIPProtocol: 4} {
		if v := probetest.Sample(t, res, name); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	if v := probetest.Sample(t, res, MetricTLSVersion, "TLS 1.3"); v != 1 {
		t.Errorf("TLS version sample %v", v)
	}
	for _, ph := range []string{"tls", "processing"} {
		if probetest.Sample(t, res, MetricDuration, ph) <= 0 {
			t.Errorf("phase %s not timed: %v", ph, res.Samples)
		}
	}
	if !strings.HasPrefix(res.Message, "HTTP/3.0 200 OK") {
		t.Errorf("message %q", res.Message)
	}

	// An http:// target (or a bare host:port) is taken as https://, as
	// blackbox_exporter does: HTTP/3 runs only over TLS.
	probetest.WantSuccess(t, probe(t, strings.Replace(url, "https://", "HtTp://", 1), c))
	probetest.WantSuccess(t, probe(t, strings.TrimPrefix(url, "https://"), c))

	// Each run opens its own QUIC connection and closes it.
	p := newProber(t, url, c)
	for range 3 {
		probetest.WantSuccess(t, probetest.Run(t, p, probeTimeout))
	}
}

func TestHTTP3Failures(t *testing.T) {
	pki := testutil.NewCerts(t)
	self := pki.Leaf(t, "self", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), true, "127.0.0.1")
	url := h3Server(t, self, ok)
	c := probetest.Section[Config](t, "enable_http3: true\ntls_config: {ca_file: "+pki.CAFile+"}")
	probetest.WantFail(t, probe(t, url, c), probes.ReasonTLS, "certificate signed by unknown authority")

	// Nothing answers on the UDP port: QUIC has no refusal to notice, so
	// the handshake runs into the run's timeout.
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	silent := "https://" + conn.LocalAddr().String()
	defer conn.Close()
	res := probetest.Run(t, newProber(t, silent, c), 500*time.Millisecond)
	probetest.WantFail(t, res, probes.ReasonTimeout, "timed out after 500ms while in the TLS handshake (tls phase)")

	// A handler that never answers: the run ends at its timeout.
	hang := h3Server(t, pki.Server(t), func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	res = probetest.Run(t, newProber(t, hang, c), 500*time.Millisecond)
	probetest.WantFail(t, res, probes.ReasonTimeout, "timed out after 500ms while waiting for the response (processing phase)")
}
