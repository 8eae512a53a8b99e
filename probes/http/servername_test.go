package http

import (
	"net/http"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// A configured Host header is the TLS server name too, as in
// blackbox_exporter, unless tls_config.server_name names one; a redirect
// to another host verifies that host's own name.
func TestHostHeaderIsServerName(t *testing.T) {
	pki := testutil.NewCerts(t)
	now := time.Now()
	vhost := pki.Leaf(t, "vhost", now.Add(-time.Hour), now.Add(time.Hour), false, "vhost.test")
	other := tlsServer(t, pki.Server(t), false, ok) // valid for 127.0.0.1 and localhost only
	s := tlsServer(t, vhost, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
			return
		}
		w.Write([]byte("ok"))
	})
	cfg := func(serverName string) *Config {
		return &Config{Headers: Headers{"Host": "vhost.test:443"}, TLSConfig: TLSConfig{CAFile: pki.CAFile, ServerName: serverName}}
	}

	probetest.WantSuccess(t, probe(t, s.URL+"/", cfg("")))
	// The redirect goes to 127.0.0.1 with another port: another host.
	res := probe(t, s.URL+"/away", cfg(""))
	probetest.WantSuccess(t, res)
	if v := probetest.Sample(t, res, MetricRedirects); v != 1 {
		t.Errorf("redirects %v, want 1", v)
	}
	// server_name wins over the Host header.
	probetest.WantFail(t, probe(t, s.URL+"/", cfg("wrong.test")), probes.ReasonTLS, "not valid for wrong.test")
	// Without a Host header the target's address is verified.
	probetest.WantFail(t, probe(t, s.URL+"/", &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile}}), probes.ReasonTLS, "not valid for 127.0.0.1")
}
