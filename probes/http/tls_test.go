package http

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

func TestTLSValid(t *testing.T) {
	pki := testutil.NewCerts(t)
	cert := pki.Server(t)
	s := tlsServer(t, cert, false, ok)
	res := probe(t, s.URL, &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile}})
	probetest.WantSuccess(t, res)
	if probetest.Sample(t, res, MetricSSL) != 1 {
		t.Error("probe_http_ssl is not 1")
	}
	if probetest.Sample(t, res, MetricDuration, "tls") <= 0 {
		t.Error("tls phase not timed")
	}
	leafExpiry := float64(cert.Leaf.NotAfter.Unix())
	// The leaf (12h) expires before the CA (24h): it is the earliest, and
	// the earliest of the only verified chain.
	if v := probetest.Sample(t, res, MetricEarliestExpiry); v != leafExpiry {
		t.Errorf("earliest expiry %v, want %v", v, leafExpiry)
	}
	if v := probetest.Sample(t, res, MetricLastChainExpiry); v != leafExpiry {
		t.Errorf("last chain expiry %v, want %v", v, leafExpiry)
	}
	if _, found := probetest.Find(res, MetricTLSVersion, "TLS 1.3"); !found {
		t.Errorf("no probe_tls_version_info{version=\"TLS 1.3\"} in %v", res.Samples)
	}
	if v, _ := probetest.Find(res, MetricLastChainInfo); v != 1 {
		t.Error("no probe_ssl_last_chain_info")
	}
}

func TestTLSVersionBounds(t *testing.T) {
	pki := testutil.NewCerts(t)
	s := httpsServerMaxTLS12(t, pki)
	res := probe(t, s, &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile}})
	probetest.WantSuccess(t, res)
	if _, found := probetest.Find(res, MetricTLSVersion, "TLS 1.2"); !found {
		t.Errorf("no TLS 1.2 version info in %v", res.Samples)
	}
	probetest.WantFail(t, probe(t, s, &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile, MinVersion: "TLS13"}}), probes.ReasonTLS, "protocol version")
}

func httpsServerMaxTLS12(t *testing.T, pki *testutil.Certs) string {
	s := tlsServer(t, pki.Server(t), false, ok, func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 })
	return s.URL
}

func TestTLSFailures(t *testing.T) {
	pki := testutil.NewCerts(t)
	now := time.Now()
	expired := pki.Leaf(t, "expired.test", now.Add(-48*time.Hour), now.Add(-24*time.Hour), false, "127.0.0.1")
	future := pki.Leaf(t, "future.test", now.Add(24*time.Hour), now.Add(48*time.Hour), false, "127.0.0.1")
	self := pki.Leaf(t, "self.test", now.Add(-time.Hour), now.Add(time.Hour), true, "127.0.0.1")
	otherName := pki.Leaf(t, "test server", now.Add(-time.Hour), now.Add(12*time.Hour), false, "probe.test")
	ca := TLSConfig{CAFile: pki.CAFile}

	for name, tc := range map[string]struct {
		cert tls.Certificate
		msg  string
	}{
		"expired":     {expired, "certificate CN=expired.test expired " + expired.Leaf.NotAfter.UTC().Format(time.RFC3339)},
		"not yet":     {future, "certificate CN=future.test is not valid before"},
		"self-signed": {self, "certificate signed by unknown authority (CN=self.test issued by CN=self.test)"},
		"wrong name":  {otherName, "certificate CN=test server is not valid for 127.0.0.1 (valid for probe.test)"},
		"no ca_file":  {pki.Server(t), "certificate signed by unknown authority"},
	} {
		t.Run(name, func(t *testing.T) {
			s := tlsServer(t, tc.cert, false, ok)
			c := &Config{TLSConfig: ca}
			if name == "no ca_file" {
				c = nil
			}
			res := probe(t, s.URL, c)
			probetest.WantFail(t, res, probes.ReasonTLS, tc.msg)
			// The certificate's expiry shows even though it failed.
			if v := probetest.Sample(t, res, MetricEarliestExpiry); v != float64(tc.cert.Leaf.NotAfter.Unix()) {
				t.Errorf("earliest expiry %v, want %v", v, tc.cert.Leaf.NotAfter.Unix())
			}
		})
	}

	t.Run("insecure_skip_verify", func(t *testing.T) {
		s := tlsServer(t, expired, false, ok)
		res := probe(t, s.URL, &Config{TLSConfig: TLSConfig{InsecureSkipVerify: true}})
		probetest.WantSuccess(t, res)
		if _, found := probetest.Find(res, MetricLastChainExpiry); found {
			t.Error("last chain expiry without a verified chain")
		}
	})
	t.Run("server_name", func(t *testing.T) {
		s := tlsServer(t, otherName, false, ok)
		probetest.WantSuccess(t, probe(t, s.URL, &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile, ServerName: "probe.test"}}))
	})
	t.Run("plain http server", func(t *testing.T) {
		s := server(t, ok)
		probetest.WantFail(t, probe(t, strings.Replace(s.URL, "http:", "https:", 1), nil), probes.ReasonTLS, "server answered TLS with plain HTTP")
	})
}

// clientCertServer requires a client certificate of pki's, and answers
// 403 unless its name is "probe client".
func clientCertServer(t *testing.T, pki *testutil.Certs) *httptest.Server {
	t.Helper()
	return tlsServer(t, pki.Server(t), false, func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "probe client" {
			http.Error(w, "who are you", http.StatusForbidden)
		}
	}, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = pki.Pool()
	})
}

func TestClientCertificate(t *testing.T) {
	pki := testutil.NewCerts(t)
	s := clientCertServer(t, pki)

	client := pki.Leaf(t, "probe client", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	certFile, keyFile := pki.Files(t, "client", client)
	probetest.WantSuccess(t, probe(t, s.URL, &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile, CertFile: certFile, KeyFile: keyFile}}))
	probetest.WantFail(t, probe(t, s.URL, &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile}}), probes.ReasonTLS, "TLS alert from the server: certificate required")

	if _, err := New(s.URL, &Config{TLSConfig: TLSConfig{CertFile: certFile, KeyFile: pki.CAFile}}); err == nil {
		t.Error("New accepted a key file that holds no key")
	}
}

// The CA, certificate and key can be given inline, in any mix with files.
func TestInlineTLSMaterial(t *testing.T) {
	pki := testutil.NewCerts(t)
	s := clientCertServer(t, pki)
	client := pki.Leaf(t, "probe client", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	certFile, keyFile := pki.Files(t, "client", client)
	read := func(f string) string {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ca, cert, key := read(pki.CAFile), read(certFile), read(keyFile)
	for name, tc := range map[string]TLSConfig{
		"all inline":              {CA: ca, Cert: cert, Key: conf.Secret(key)},
		"inline ca, files":        {CA: ca, CertFile: certFile, KeyFile: keyFile},
		"ca file, inline cert":    {CAFile: pki.CAFile, Cert: cert, KeyFile: keyFile},
		"ca file, inline key":     {CAFile: pki.CAFile, CertFile: certFile, Key: conf.Secret(key)},
		"inline pair, no ca file": {CA: ca, Cert: cert, Key: conf.Secret(key), ServerName: "localhost"},
	} {
		t.Run(name, func(t *testing.T) {
			probetest.WantSuccess(t, probe(t, s.URL, &Config{TLSConfig: tc}))
		})
	}
	probetest.WantFail(t, probe(t, s.URL, &Config{TLSConfig: TLSConfig{CA: ca}}), probes.ReasonTLS, "certificate required")
	other := testutil.NewCerts(t)
	otherCA, _ := os.ReadFile(other.CAFile)
	probetest.WantFail(t, probe(t, s.URL, &Config{TLSConfig: TLSConfig{CA: string(otherCA)}}), probes.ReasonTLS, "certificate signed by unknown authority")
}
