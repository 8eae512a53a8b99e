package http

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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

// certs is a test PKI: a CA and leaf certificates for 127.0.0.1 and localhost.
type certs struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
	dir    string
}

func newCerts(t *testing.T) *certs {
	t.Helper()
	key := genKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sloagent test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	dir := t.TempDir()
	c := &certs{ca: ca, caKey: key, dir: dir, caFile: filepath.Join(dir, "ca.pem")}
	writePEM(t, c.caFile, "CERTIFICATE", der)
	return c
}

func genKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// leaf makes a certificate for names valid from notBefore to notAfter,
// signed by the CA (or by itself when selfSigned).
func (c *certs) leaf(t *testing.T, cn string, notBefore, notAfter time.Time, selfSigned bool, names ...string) tls.Certificate {
	t.Helper()
	key := genKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, signer := c.ca, c.caKey
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func (c *certs) valid(t *testing.T, names ...string) tls.Certificate {
	if len(names) == 0 {
		names = []string{"127.0.0.1", "localhost"}
	}
	return c.leaf(t, "test server", time.Now().Add(-time.Hour), time.Now().Add(12*time.Hour), false, names...)
}

// files writes cert and key as PEM files and returns their paths.
func (c *certs) files(t *testing.T, name string, cert tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	certFile = filepath.Join(c.dir, name+".pem")
	keyFile = filepath.Join(c.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", cert.Certificate[0])
	der, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, keyFile, "EC PRIVATE KEY", der)
	return certFile, keyFile
}

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

func poolOf(c *certs) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.ca)
	return p
}

func mustRegexps(t *testing.T, exprs ...string) []conf.Regexp {
	t.Helper()
	out := make([]conf.Regexp, len(exprs))
	for i, e := range exprs {
		out[i].Regexp = regexp.MustCompile(e)
	}
	return out
}
