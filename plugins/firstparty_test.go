package plugins

import (
	"bufio"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/probes"
)

func TestTCPPlugin(t *testing.T) {
	t.Parallel()
	// A line protocol server: answers PING with +PONG, anything else with
	// -ERR, and "SLOW" with nothing at all.
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		switch strings.TrimSpace(line) {
		case "PING":
			c.Write([]byte("+PONG\r\n"))
		case "SLOW":
			time.Sleep(3 * time.Second)
		default:
			c.Write([]byte("-ERR unknown\r\n"))
		}
	})
	closedAddr := testutil.FreeAddr(t)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case fails handshakes on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsAddr := strings.TrimPrefix(srv.URL, "https://")

	s, _ := supervise(t, Config{Name: "tcp", Command: pluginPath(t, "tcp")})
	waitRunning(t, s)
	for _, tc := range []struct {
		name, target string
		settings     map[string]any
		reason       string
		message      string
	}{
		{"connect only", addr, nil, "", "connected"},
		{"send and expect", addr, map[string]any{"send": "PING\r\n", "expect": "+PONG"}, "", "answer matched"},
		{"expect regexp", addr, map[string]any{"send": "PING\r\n", "expect_regexp": `^\+PO+NG\r\n$`}, "", "answer matched"},
		{"wrong answer", addr, map[string]any{"send": "HELLO\r\n", "expect": "+PONG"}, probes.ReasonAssertion, `"-ERR unknown\r\n" does not match`},
		{"refused", closedAddr, nil, probes.ReasonConnect, "connection refused"},
		{"no answer", addr, map[string]any{"send": "SLOW\r\n", "expect": "+PONG"}, probes.ReasonTimeout, ""},
		{"tls", tlsAddr, map[string]any{"tls": true, "tls_ca_file": ca, "send": "GET / HTTP/1.0\r\n\r\n", "expect_regexp": "^HTTP/1.0 200"}, "", "answer matched"},
		{"tls untrusted", tlsAddr, map[string]any{"tls": true}, probes.ReasonTLS, "certificate"},
		{"tls to plain server", addr, map[string]any{"tls": true, "tls_insecure_skip_verify": true}, probes.ReasonTLS, "handshake"},
		{"bad target", "localhost", nil, "config", "not host:port"},
	} {
		r := run(t, s, tc.target, &ProbeConfig{Name: "tcp", Settings: tc.settings}, time.Second)
		if r.Success != (tc.reason == "") || r.Reason != tc.reason || !strings.Contains(r.Message, tc.message) {
			t.Errorf("%s: %+v", tc.name, r)
		}
		if tc.name == "tls" {
			var expiry, phases int
			for _, smp := range r.Samples {
				switch smp.Name {
				case "probe_ssl_earliest_cert_expiry":
					expiry++
					if smp.Value != float64(srv.Certificate().NotAfter.Unix()) {
						t.Errorf("expiry %v", smp.Value)
					}
				case "probe_tcp_duration_seconds":
					phases++
				}
			}
			if expiry != 1 || phases != 3 {
				t.Errorf("tls samples: %+v", r.Samples)
			}
		}
	}
}
