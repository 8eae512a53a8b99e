package http

import (
	"bufio"
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// The cases TestSameValuesAsBlackboxExporter leaves out: TLS, request
// options, auth, header checks, odd responses and the IP protocol.

// tlsSamples are the certificate series compared where blackbox_exporter
// reports them.
var tlsSamples = []string{MetricEarliestExpiry, MetricLastChainExpiry}

func TestSameValuesAsBlackboxExporterTLSAndRequests(t *testing.T) {
	pki := testutil.NewCerts(t)
	now := time.Now()
	self := pki.Leaf(t, "self.test", now.Add(-time.Hour), now.Add(2*time.Hour), true, "127.0.0.1")
	expired := pki.Leaf(t, "expired.test", now.Add(-48*time.Hour), now.Add(-24*time.Hour), false, "127.0.0.1")
	chainCA, chainCert := intermediateChain(t)

	mux := http.NewServeMux()
	mux.Handle("/plain", sends(200, "", testMsg))
	mux.HandleFunc("/head", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			http.Error(w, "HEAD only", http.StatusMethodNotAllowed)
			return
		}
		sends(200, "", testMsg)(w, r)
	})
	mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || string(b) != "ping" {
			http.Error(w, "want POST ping", http.StatusBadRequest)
			return
		}
		w.Write([]byte("pong"))
	})
	mux.HandleFunc("/host", func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "probe.test" {
			http.Error(w, "wrong host "+r.Host, http.StatusMisdirectedRequest)
		}
	})
	mux.HandleFunc("/basic", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "secret" {
			http.Error(w, "who are you", http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("/bearer", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "who are you", http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("/header", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Version", "2.0")
		w.Header().Add("X-Version", "1.2")
	})
	mux.Handle("/201", sends(201, "", []byte("created")))
	mux.HandleFunc("/no-location", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusFound) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/plain", http.StatusFound) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("first part\n"))
		w.(http.Flusher).Flush()
		w.Write([]byte("second part\n"))
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/lines", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("line one\nline two\n")) })

	plain := server(t, mux.ServeHTTP).URL
	https := tlsServer(t, pki.Server(t), true, mux.ServeHTTP).URL
	mux.HandleFunc("/to-https", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, https+"/plain", http.StatusFound) })
	selfURL := tlsServer(t, self, false, ok).URL
	expiredURL := tlsServer(t, expired, false, ok).URL
	chainURL := tlsServer(t, chainCert, false, ok).URL
	// An HTTP/1.0 server that ends the body by closing the connection.
	http10 := "http://" + testutil.ServeTCP(t, func(c *net.TCPConn) {
		// Read the whole request: closing on one unread would reset the
		// connection, and with it the response.
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
		}
		io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
	})
	ip6 := ip6Server(t, ok)

	ca := "tls_config: {ca_file: " + pki.CAFile + "}"
	cases := []struct {
		name, target, http string
		// bb is blackbox_exporter's section where its keys differ.
		bb string
		// diff is a difference the README documents.
		diff difference
	}{
		{name: "tls_ca_file", target: https + "/plain", http: ca},
		{name: "tls_no_ca", target: https + "/plain", diff: unverified},
		{name: "tls_self_signed", target: selfURL, diff: unverified},
		{name: "tls_self_signed_skip", target: selfURL, http: "tls_config: {insecure_skip_verify: true}", diff: unchained},
		{name: "tls_wrong_server_name", target: https + "/plain", http: "tls_config: {ca_file: " + pki.CAFile + ", server_name: probe.test}", diff: unverified},
		{name: "tls_expired", target: expiredURL, http: ca, diff: unverified},
		{name: "tls_expired_skip", target: expiredURL, http: "tls_config: {insecure_skip_verify: true}", diff: unchained},
		{name: "tls_intermediate", target: chainURL, http: "tls_config: {ca_file: " + chainCA + "}"},
		{name: "tls_host_header", target: https + "/plain", http: "{headers: {Host: localhost}, " + ca + "}"},
		{name: "tls_host_header_wrong", target: https + "/plain", http: "{headers: {Host: probe.test}, " + ca + "}", diff: unverified},
		{name: "fail_if_ssl", target: https + "/plain", http: "{fail_if_ssl: true, " + ca + "}"},
		{name: "fail_if_ssl_plain", target: plain + "/plain", http: "fail_if_ssl: true"},
		{name: "fail_if_not_ssl", target: plain + "/plain", http: "fail_if_not_ssl: true"},
		{name: "fail_if_not_ssl_https", target: https + "/plain", http: "{fail_if_not_ssl: true, " + ca + "}"},
		{name: "to_https", target: plain + "/to-https", http: "{fail_if_not_ssl: true, " + ca + "}"},
		{name: "to_https_unfollowed", target: plain + "/to-https", http: "{follow_redirects: false, valid_status_codes: [302], " + ca + "}"},
		{name: "head", target: plain + "/head", http: "method: HEAD"},
		{name: "head_as_get", target: plain + "/head"},
		{name: "post", target: plain + "/post", http: "{method: POST, body: ping}"},
		{name: "post_no_body", target: plain + "/post", http: "method: POST"},
		{name: "host_header", target: plain + "/host", http: "headers: {Host: probe.test}"},
		{name: "host_header_absent", target: plain + "/host"},
		{name: "basic_auth", target: plain + "/basic", http: "basic_auth: {username: user, password: secret}"},
		{name: "basic_auth_wrong", target: plain + "/basic", http: "basic_auth: {username: user, password: guess}"},
		{name: "bearer_token", target: plain + "/bearer", http: "bearer_token: tok"},
		{name: "bearer_token_wrong", target: plain + "/bearer", http: "bearer_token: guess"},
		{name: "header_not_matches", target: plain + "/header", http: `fail_if_header_not_matches: [{header: X-Version, regexp: '^1\.'}]`},
		{name: "header_not_matches_fails", target: plain + "/header", http: `fail_if_header_not_matches: [{header: X-Version, regexp: '^3\.'}]`},
		{name: "header_missing", target: plain + "/header", http: "fail_if_header_not_matches: [{header: X-Other, regexp: x}]"},
		{name: "header_allow_missing", target: plain + "/header", http: "fail_if_header_not_matches: [{header: X-Other, regexp: x, allow_missing: true}]"},
		{name: "header_matches_missing", target: plain + "/header", http: "fail_if_header_matches: [{header: X-Other, regexp: x}]"},
		{name: "header_matches_allow_missing", target: plain + "/header", http: "fail_if_header_matches: [{header: X-Other, regexp: x, allow_missing: true}]"},
		{name: "status_list", target: plain + "/201", http: "valid_status_codes: [200, 201]"},
		{name: "status_list_fails", target: plain + "/201", http: "valid_status_codes: [200, 204]"},
		{name: "status_list_2xx_not_implied", target: plain + "/plain", http: "valid_status_codes: [201]"},
		{name: "no_location", target: plain + "/no-location"},
		{name: "no_location_valid", target: plain + "/no-location", http: "valid_status_codes: [302]"},
		{name: "no_follow_redirects", target: plain + "/redirect", http: "{follow_redirects: false, valid_status_codes: [302]}",
			bb: "{no_follow_redirects: true, valid_status_codes: [302]}"},
		{name: "follow_redirects", target: plain + "/redirect", http: "follow_redirects: true",
			bb: "no_follow_redirects: false"},
		{name: "chunked", target: plain + "/chunked", http: "fail_if_body_not_matches_regexp: ['part\\nsecond']"},
		{name: "http10_close", target: http10, http: "fail_if_body_not_matches_regexp: ['the end$']"},
		{name: "http10_version", target: http10, http: "valid_http_versions: [HTTP/1.1]"},
		{name: "empty", target: plain + "/empty"},
		{name: "empty_regex", target: plain + "/empty", http: "fail_if_body_not_matches_regexp: ['^$']"},
		{name: "lines_newline", target: plain + "/lines", http: "fail_if_body_not_matches_regexp: ['one\\nline']"},
		{name: "lines_dot", target: plain + "/lines", http: "fail_if_body_not_matches_regexp: ['one.line']"},
		{name: "lines_dot_s", target: plain + "/lines", http: "fail_if_body_not_matches_regexp: ['(?s)one.line']"},
		{name: "lines_caret", target: plain + "/lines", http: "fail_if_body_not_matches_regexp: ['^line two']"},
		{name: "lines_caret_m", target: plain + "/lines", http: "fail_if_body_not_matches_regexp: ['(?m)^line two$']"},
		{name: "lines_whole", target: plain + "/lines", http: "fail_if_body_matches_regexp: ['\\Aline one\\nline two\\n\\z']"},
		{name: "ip6_no_fallback_on_ip4", target: plain + "/plain", http: "{ip_protocol: ip6, ip_protocol_fallback: false}",
			bb: "{preferred_ip_protocol: ip6, ip_protocol_fallback: false}", diff: unresolved},
		{name: "ip6_fallback_on_ip4", target: plain + "/plain", http: "ip_protocol: ip6", bb: "preferred_ip_protocol: ip6"},
		{name: "ip4_on_ip4", target: plain + "/plain", http: "{ip_protocol: ip4, ip_protocol_fallback: false}",
			bb: "{preferred_ip_protocol: ip4, ip_protocol_fallback: false}"},
	}
	if ip6 != "" {
		cases = append(cases, []struct {
			name, target, http, bb string
			diff                   difference
		}{
			{name: "ip6_on_ip6", target: ip6, http: "{ip_protocol: ip6, ip_protocol_fallback: false}",
				bb: "{preferred_ip_protocol: ip6, ip_protocol_fallback: false}"},
			{name: "ip4_no_fallback_on_ip6", target: ip6, http: "{ip_protocol: ip4, ip_protocol_fallback: false}",
				bb: "{preferred_ip_protocol: ip4, ip_protocol_fallback: false}", diff: unresolved},
			{name: "ip4_fallback_on_ip6", target: ip6, http: "ip_protocol: ip4", bb: "preferred_ip_protocol: ip4"},
		}...)
	}

	var modules probetest.Modules
	for _, c := range cases {
		modules.Add(c.name, "http", "5s", cmp.Or(c.bb, c.http))
	}
	bb := probetest.StartBlackbox(t, modules.String())

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			theirs := bb.Families(t, c.name, c.target)
			ours := probe(t, c.target, probetest.Section[Config](t, c.http+"\n"))
			compareWithBlackbox(t, theirs, ours, c.diff)
		})
	}
}

// difference is one the README documents between the two.
type difference int

const (
	same difference = iota
	// unverified: a certificate that failed verification still shows
	// its expiry; blackbox_exporter reports no TLS series.
	unverified
	// unchained: without a verified chain (insecure_skip_verify) there is
	// no last chain expiry; blackbox_exporter 0.23 reports year 1's.
	unchained
	// unresolved: a run that fails to resolve still has every phase;
	// blackbox_exporter's has only resolve.
	unresolved
)

// yearOne is time.Time{}.Unix(), blackbox_exporter's last chain expiry
// without a verified chain.
const yearOne = -62135596800

var allPhases = []string{"connect", "processing", "resolve", "tls", "transfer"}

// compareWithBlackbox compares what a dashboard reads off both runs, and
// where they differ by diff, that each has its documented value.
func compareWithBlackbox(t *testing.T, theirs map[string]*dto.MetricFamily, ours probes.Result, diff difference) {
	t.Helper()
	why := fmt.Sprintf("(%s: %s)", ours.Reason, ours.Message)
	for _, name := range append(append([]string(nil), comparedSamples...), MetricIPProtocol) {
		var v float64
		if name == "probe_success" {
			v = b2f(ours.Success)
		} else {
			v = probetest.Sample(t, ours, name)
		}
		want, ok := probetest.Gauge(theirs, name)
		if !ok {
			t.Errorf("blackbox_exporter reported no %s", name)
		} else if v != want {
			t.Errorf("%s: ours %v, blackbox_exporter's %v %s", name, v, want, why)
		}
	}

	for _, name := range tlsSamples {
		want, theyHave := probetest.Gauge(theirs, name)
		v, weHave := probetest.Find(ours, name)
		switch {
		case diff == unverified:
			if theyHave {
				t.Errorf("%s: blackbox_exporter reported %v for a certificate that failed verification", name, want)
			}
			if weHave != (name == MetricEarliestExpiry) || ours.Reason != probes.ReasonTLS {
				t.Errorf("%s: ours %v (%v) for a certificate that failed verification %s", name, v, weHave, why)
			}
		case diff == unchained && name == MetricLastChainExpiry:
			if want != yearOne || !theyHave || weHave {
				t.Errorf("%s without a verified chain: ours %v (%v), blackbox_exporter's %v (%v)", name, v, weHave, want, theyHave)
			}
		case theyHave != weHave || v != want:
			t.Errorf("%s: ours %v (%v), blackbox_exporter's %v (%v) %s", name, v, weHave, want, theyHave, why)
		}
	}
	if want, got := probetest.LabelValues(theirs, MetricTLSVersion, "version"), probetest.ResultLabelValues(ours, MetricTLSVersion, "version"); !slices.Equal(got, want) {
		t.Errorf("%s versions: ours %q, blackbox_exporter's %q %s", MetricTLSVersion, got, want, why)
	}

	want, got := probetest.LabelValues(theirs, MetricDuration, "phase"), probetest.ResultLabelValues(ours, MetricDuration, "phase")
	if diff == unresolved {
		if !slices.Equal(want, []string{"resolve"}) {
			t.Errorf("blackbox_exporter's phases of a run that did not resolve: %q", want)
		}
		want = allPhases
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s phases: ours %q, blackbox_exporter's %q %s", MetricDuration, got, want, why)
	}
}

// ip6Server serves h on [::1], or returns "" where the host has no ::1.
func ip6Server(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Logf("no ::1 here (%v): the IPv6 cases are left out", err)
		return ""
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s.URL
}

// intermediateChain makes a root, an intermediate it signs (which expires
// first) and a leaf for 127.0.0.1 the intermediate signs, and returns the
// root's file and the leaf with the intermediate, as a server sends them.
func intermediateChain(t *testing.T) (rootFile string, cert tls.Certificate) {
	t.Helper()
	now := time.Now().Truncate(time.Second)
	issue := func(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	ca := func(serial int64, cn string, notAfter time.Time) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign}
	}
	rootKey, midKey, leafKey := key(), key(), key()
	rootTmpl := ca(1, "chain root", now.Add(72*time.Hour))
	root := issue(rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	mid := issue(ca(2, "chain intermediate", now.Add(36*time.Hour)), root, &midKey.PublicKey, rootKey)
	leaf := issue(&x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "chain leaf"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		mid, &leafKey.PublicKey, midKey)
	rootFile = filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(rootFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return rootFile, tls.Certificate{Certificate: [][]byte{leaf.Raw, mid.Raw}, PrivateKey: leafKey, Leaf: leaf}
}
