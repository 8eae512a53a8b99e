package http

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

func TestDefaults(t *testing.T) {
	var got *http.Request
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
		io.WriteString(w, "hello")
	})
	res := probe(t, s.URL+"/path?q=1", nil)
	probetest.WantSuccess(t, res)
	if got.Method != "GET" || got.URL.RequestURI() != "/path?q=1" || got.UserAgent() != UserAgent {
		t.Errorf("server saw %s %s with User-Agent %q", got.Method, got.URL, got.UserAgent())
	}
	if got.Header.Get("Accept-Encoding") != "" {
		t.Errorf("asked for compression without being configured: %q", got.Header.Get("Accept-Encoding"))
	}
	for name, want := range map[string]float64{
		MetricStatusCode: 200, MetricVersion: 1.1, MetricRedirects: 0, MetricContentLength: 5,
		MetricUncompressedBody: 5, MetricSSL: 0, MetricIPProtocol: 4, MetricFailedDueToRegex: 0,
		MetricLastModified: 1445412480,
	} {
		if v := probetest.Sample(t, res, name); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	var sum float64
	for _, ph := range phaseNames {
		v := probetest.Sample(t, res, MetricDuration, ph)
		if v < 0 {
			t.Errorf("phase %s = %v", ph, v)
		}
		sum += v
	}
	if probetest.Sample(t, res, MetricDuration, "connect") <= 0 || probetest.Sample(t, res, MetricDuration, "processing") <= 0 {
		t.Errorf("connect and processing not timed: %v", res.Samples)
	}
	if probetest.Sample(t, res, MetricDuration, "tls") != 0 {
		t.Error("tls phase timed on plain HTTP")
	}
	if res.Duration.Seconds() < sum {
		t.Errorf("duration %s shorter than the phases' sum %v", res.Duration, sum)
	}
	if !strings.Contains(res.Message, "HTTP/1.1 200 OK from 127.0.0.1:") {
		t.Errorf("message %q", res.Message)
	}
	for _, problem := range Kind.Undeclared(res.Samples) {
		t.Errorf("sample %s", problem)
	}
}

// Every run, and every redirect hop, opens its own connection, so that
// connect and TLS are measured each time.
func TestFreshConnectionPerRun(t *testing.T) {
	var conns atomic.Int32
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/r" {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		ok(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	p := newProber(t, s.URL+"/r", nil)
	for range 3 {
		res := probetest.Run(t, p, probeTimeout)
		probetest.WantSuccess(t, res)
		if probetest.Sample(t, res, MetricRedirects) != 1 {
			t.Fatalf("redirects = %v", probetest.Sample(t, res, MetricRedirects))
		}
	}
	if n := conns.Load(); n != 6 {
		t.Errorf("server saw %d connections for 3 runs of 2 requests, want 6", n)
	}
}

func TestFreshConnectionPerRunHTTP2(t *testing.T) {
	pki := testutil.NewCerts(t)
	var conns atomic.Int32
	s := httptest.NewUnstartedServer(http.HandlerFunc(ok))
	s.EnableHTTP2 = true
	s.TLS = &tls.Config{Certificates: []tls.Certificate{pki.Server(t)}}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	p := newProber(t, s.URL, &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile}})
	for range 3 {
		res := probetest.Run(t, p, probeTimeout)
		probetest.WantSuccess(t, res)
		if probetest.Sample(t, res, MetricVersion) != 2 || probetest.Sample(t, res, MetricDuration, "tls") <= 0 {
			t.Fatalf("version %v, tls %v", probetest.Sample(t, res, MetricVersion), probetest.Sample(t, res, MetricDuration, "tls"))
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("server saw %d connections for 3 HTTP/2 runs, want 3", n)
	}
}

func TestRequestOptions(t *testing.T) {
	type seen struct {
		method, host, body, ua, custom, ctype string
	}
	ch := make(chan seen, 1)
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- seen{r.Method, r.Host, string(b), r.UserAgent(), r.Header.Get("X-Custom"), r.Header.Get("Content-Type")}
	})
	c := probetest.Section[Config](t, `
method: POST
headers:
  Host: example.test
  User-Agent: custom-agent
  X-Custom: "1"
  Content-Type: application/json
body: '{"a":1}'
`)
	p := newProber(t, s.URL, c)
	for range 2 { // the body is sent again on every run
		probetest.WantSuccess(t, probetest.Run(t, p, probeTimeout))
		got := <-ch
		want := seen{"POST", "example.test", `{"a":1}`, "custom-agent", "1", "application/json"}
		if got != want {
			t.Fatalf("server saw %+v, want %+v", got, want)
		}
	}

	file := filepath.Join(t.TempDir(), "body.xml")
	os.WriteFile(file, []byte("<a/>"), 0o600)
	probetest.WantSuccess(t, probe(t, s.URL, &Config{Method: "PUT", BodyFile: file}))
	if got := <-ch; got.method != "PUT" || got.body != "<a/>" {
		t.Errorf("server saw %+v", got)
	}
	if _, err := New(s.URL, &Config{BodyFile: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("New accepted a missing body_file")
	}
}

// A 307 redirect must resend the body.
func TestRedirectKeepsBody(t *testing.T) {
	var body string
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
			return
		}
		b, _ := io.ReadAll(r.Body)
		body = string(b)
	})
	probetest.WantSuccess(t, probe(t, s.URL+"/old", &Config{Method: "POST", Body: "payload"}))
	if body != "payload" {
		t.Errorf("after a 307 the server got body %q", body)
	}
}

func TestAuth(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && u == "alice" && p == "s3cret" {
			return
		}
		if r.Header.Get("Authorization") == "Bearer tok-123" {
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	dir := t.TempDir()
	pwFile, tokFile := filepath.Join(dir, "pw"), filepath.Join(dir, "tok")
	os.WriteFile(pwFile, []byte("s3cret\n"), 0o600)
	os.WriteFile(tokFile, []byte("tok-123\n"), 0o600)

	for name, c := range map[string]*Config{
		"basic":       {BasicAuth: &BasicAuth{Username: "alice", Password: "s3cret"}},
		"basic file":  {BasicAuth: &BasicAuth{Username: "alice", PasswordFile: pwFile}},
		"bearer":      {BearerToken: "tok-123"},
		"bearer file": {BearerTokenFile: tokFile},
	} {
		t.Run(name, func(t *testing.T) { probetest.WantSuccess(t, probe(t, s.URL, c)) })
	}
	res := probe(t, s.URL, &Config{BasicAuth: &BasicAuth{Username: "alice", Password: "wrong"}})
	probetest.WantFail(t, res, probes.ReasonStatusCode, "status code 401 not in 200-299")
	if strings.Contains(res.Message, "wrong") {
		t.Error("message shows the password")
	}
	if _, err := New(s.URL, &Config{BearerTokenFile: filepath.Join(dir, "missing")}); err == nil {
		t.Error("New accepted a missing bearer_token_file")
	}
}

func TestStatusCodes(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	res := probe(t, s.URL, nil)
	probetest.WantFail(t, res, probes.ReasonStatusCode, "status code 503 not in 200-299")
	if probetest.Sample(t, res, MetricStatusCode) != 503 {
		t.Errorf("status sample %v", probetest.Sample(t, res, MetricStatusCode))
	}
	probetest.WantSuccess(t, probe(t, s.URL, &Config{ValidStatusCodes: []int{200, 503}}))
	probetest.WantFail(t, probe(t, s.URL, &Config{ValidStatusCodes: []int{200, 204}}), probes.ReasonStatusCode, "status code 503 not in 200, 204")
}

func TestRedirects(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b", http.StatusMovedPermanently)
		case "/b":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/ok":
			ok(w, r)
		}
	})
	no, zero, one := false, 0, 1

	res := probe(t, s.URL+"/a", nil)
	probetest.WantSuccess(t, res)
	if probetest.Sample(t, res, MetricRedirects) != 2 || !strings.HasSuffix(res.Message, "after 2 redirects") {
		t.Errorf("redirects %v, message %q", probetest.Sample(t, res, MetricRedirects), res.Message)
	}

	res = probe(t, s.URL+"/a", &Config{FollowRedirects: &no})
	probetest.WantFail(t, res, probes.ReasonStatusCode, "status code 301")
	// The redirect not followed counts, and its body is not read, as
	// in blackbox_exporter.
	if probetest.Sample(t, res, MetricRedirects) != 1 || probetest.Sample(t, res, MetricStatusCode) != 301 || probetest.Sample(t, res, MetricUncompressedBody) != 0 {
		t.Errorf("not following: redirects %v status %v body %v", probetest.Sample(t, res, MetricRedirects), probetest.Sample(t, res, MetricStatusCode), probetest.Sample(t, res, MetricUncompressedBody))
	}
	res = probe(t, s.URL+"/a", &Config{FollowRedirects: &no, ValidStatusCodes: []int{301}})
	probetest.WantSuccess(t, res)
	if probetest.Sample(t, res, MetricRedirects) != 1 || !strings.HasSuffix(res.Message, "redirect not followed") {
		t.Errorf("not following: redirects %v, message %q", probetest.Sample(t, res, MetricRedirects), res.Message)
	}

	probetest.WantFail(t, probe(t, s.URL+"/a", &Config{MaxRedirects: &one}), probes.ReasonRedirects, "more than 1 redirects")
	probetest.WantFail(t, probe(t, s.URL+"/a", &Config{MaxRedirects: &zero}), probes.ReasonRedirects, "more than 0 redirects")

	res = probe(t, s.URL+"/loop", nil)
	probetest.WantFail(t, res, probes.ReasonRedirects, "redirect loop through "+s.URL+"/loop")
	if probetest.Sample(t, res, MetricRedirects) != 11 || probetest.Sample(t, res, MetricStatusCode) != 302 {
		t.Errorf("loop: redirects %v status %v", probetest.Sample(t, res, MetricRedirects), probetest.Sample(t, res, MetricStatusCode))
	}

	// Probes without headers of their own share one request header:
	// redirects and credentials in the URL must not write into it.
	probetest.WantSuccess(t, probe(t, strings.Replace(s.URL, "://", "://user:pw@", 1)+"/a", nil))
	if len(defaultHeader) != 1 || defaultHeader.Get("User-Agent") != UserAgent {
		t.Errorf("the shared request header changed: %v", defaultHeader)
	}
}

func TestHTTPVersions(t *testing.T) {
	pki := testutil.NewCerts(t)
	h2 := tlsServer(t, pki.Server(t), true, ok)
	h1 := server(t, ok)
	tlsc := TLSConfig{CAFile: pki.CAFile}

	res := probe(t, h2.URL, &Config{TLSConfig: tlsc, ValidHTTPVersions: []string{"HTTP/2.0"}})
	probetest.WantSuccess(t, res)
	if probetest.Sample(t, res, MetricVersion) != 2 {
		t.Errorf("version %v", probetest.Sample(t, res, MetricVersion))
	}
	probetest.WantFail(t, probe(t, h2.URL, &Config{TLSConfig: tlsc, ValidHTTPVersions: []string{"HTTP/1.1"}}),
		probes.ReasonHTTPVersion, "HTTP/2.0 not in valid_http_versions HTTP/1.1")
	probetest.WantFail(t, probe(t, h1.URL, &Config{ValidHTTPVersions: []string{"HTTP/2"}}),
		probes.ReasonHTTPVersion, "HTTP/1.1 not in valid_http_versions HTTP/2.0")

	no := false
	res = probe(t, h2.URL, &Config{TLSConfig: tlsc, EnableHTTP2: &no})
	probetest.WantSuccess(t, res)
	if probetest.Sample(t, res, MetricVersion) != 1.1 {
		t.Errorf("enable_http2: false still got version %v", probetest.Sample(t, res, MetricVersion))
	}
}

func TestSSLPolicy(t *testing.T) {
	pki := testutil.NewCerts(t)
	ts := tlsServer(t, pki.Server(t), false, ok)
	s := server(t, ok)
	probetest.WantFail(t, probe(t, s.URL, &Config{FailIfNotSSL: true}), probes.ReasonSSLPolicy, "fail_if_not_ssl")
	probetest.WantFail(t, probe(t, ts.URL, &Config{FailIfSSL: true, TLSConfig: TLSConfig{CAFile: pki.CAFile}}), probes.ReasonSSLPolicy, "fail_if_ssl")
	probetest.WantSuccess(t, probe(t, ts.URL, &Config{FailIfNotSSL: true, TLSConfig: TLSConfig{CAFile: pki.CAFile}}))
	probetest.WantSuccess(t, probe(t, s.URL, &Config{FailIfSSL: true}))
}

func TestBodyRegexps(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "status: healthy\nversion: 1.2.3\n")
	})
	runRegexpCases(t, s.URL, []regexpCase{
		{"fail_if_body_not_matches_regexp: ['status: healthy', 'version: 1\\.']", "", ""},
		{"fail_if_body_matches_regexp: ['(?i)error']", "", ""},
		{"fail_if_body_matches_regexp: ['version: \\d']", probes.ReasonBodyMismatch, `body matched /version: \d/`},
		{"fail_if_body_not_matches_regexp: ['healthy', 'ready']", probes.ReasonBodyMismatch, "body did not match /ready/"},
	})
}

// regexpCase is a config of body or header checks and the failure it must
// give: no reason means the run succeeds.
type regexpCase struct {
	cfg, reason, msg string
}

func runRegexpCases(t *testing.T, url string, cases []regexpCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.cfg, func(t *testing.T) {
			res := probe(t, url, probetest.Section[Config](t, tc.cfg))
			if tc.reason == "" {
				probetest.WantSuccess(t, res)
				return
			}
			probetest.WantFail(t, res, tc.reason, tc.msg)
			if probetest.Sample(t, res, MetricFailedDueToRegex) != 1 {
				t.Error("probe_failed_due_to_regex not set")
			}
		})
	}
}

func TestHeaderRegexps(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Add("X-Served-By", "cache-a")
		w.Header().Add("X-Served-By", "origin-b")
	})
	runRegexpCases(t, s.URL, []regexpCase{
		{"fail_if_header_not_matches: [{header: content-type, regexp: '^text/html'}]", "", ""},
		{"fail_if_header_not_matches: [{header: X-Served-By, regexp: '^origin'}]", "", ""},
		{"fail_if_header_matches: [{header: X-Served-By, regexp: 'error'}]", "", ""},
		{"fail_if_header_matches: [{header: X-Missing, regexp: 'x', allow_missing: true}]", "", ""},
		{"fail_if_header_not_matches: [{header: X-Missing, regexp: 'x', allow_missing: true}]", "", ""},
		{"fail_if_header_matches: [{header: X-Served-By, regexp: '^origin'}]", probes.ReasonHeaderMismatch, `header X-Served-By: "origin-b" matched /^origin/`},
		{"fail_if_header_not_matches: [{header: Content-Type, regexp: 'json'}]", probes.ReasonHeaderMismatch, `header Content-Type: "text/html; charset=utf-8" did not match /json/`},
		{"fail_if_header_not_matches: [{header: X-Missing, regexp: 'x'}]", probes.ReasonHeaderMismatch, "header X-Missing missing"},
		{"fail_if_header_matches: [{header: X-Missing, regexp: 'x'}]", probes.ReasonHeaderMismatch, "header X-Missing missing"},
	})
}

func TestProxy(t *testing.T) {
	target := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "from target") })
	var proxied atomic.Int32
	proxy := server(t, func(w http.ResponseWriter, r *http.Request) {
		// A forward proxy gets the absolute URL in the request line.
		if !r.URL.IsAbs() || r.URL.Host != strings.TrimPrefix(target.URL, "http://") {
			http.Error(w, "not a proxy request: "+r.RequestURI, http.StatusBadRequest)
			return
		}
		if r.Header.Get("Proxy-Authorization") == "" {
			w.Header().Set("Proxy-Authenticate", "Basic")
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		proxied.Add(1)
		out, err := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		relay(w, out)
	})
	pu := strings.Replace(proxy.URL, "http://", "http://user:pw@", 1)
	c := &Config{ProxyURL: ProxyURL(pu), FailIfBodyNotMatchesRegexp: probetest.Section[Config](t, "fail_if_body_not_matches_regexp: ['from target']").FailIfBodyNotMatchesRegexp}
	res := probe(t, target.URL, c)
	probetest.WantSuccess(t, res)
	if proxied.Load() != 1 {
		t.Errorf("proxy forwarded %d requests", proxied.Load())
	}
	if !strings.Contains(res.Message, strings.TrimPrefix(proxy.URL, "http://")) {
		t.Errorf("message %q does not name the proxy it connected to", res.Message)
	}
}

func TestLastModifiedAbsent(t *testing.T) {
	res := probe(t, server(t, ok).URL, nil)
	if _, found := probetest.Find(res, MetricLastModified); found {
		t.Error("probe_http_last_modified_timestamp_seconds without a Last-Modified header")
	}
}

// One prober serves concurrent runs (a scheduled run and a debug run).
func TestConcurrentRuns(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "concurrent ok")
	})
	c := probetest.Section[Config](t, "method: POST\nbody: x\nheaders: {X-A: b}\nfail_if_body_not_matches_regexp: [ok]")
	p := newProber(t, s.URL, c)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if res := probetest.Run(t, p, 5*time.Second); !res.Success {
					t.Errorf("concurrent run failed: %s", res.Message)
				}
			}
		}()
	}
	wg.Wait()
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	for name, tc := range map[string]struct {
		target string
		c      *Config
		msg    string
	}{
		"scheme":       {"ftp://example.test/", nil, "must be an http:// or https:// URL"},
		"no host":      {"http:///path", nil, "has no host"},
		"bad url":      {"http://[::1", nil, "target"},
		"ca not pem":   {"https://example.test/", &Config{TLSConfig: TLSConfig{CAFile: notPEM}}, "unable to use specified CA cert"},
		"ca missing":   {"https://example.test/", &Config{TLSConfig: TLSConfig{CAFile: filepath.Join(dir, "nope")}}, "unable to read CA cert"},
		"bad pw file":  {"http://example.test/", &Config{BasicAuth: &BasicAuth{Username: "u", PasswordFile: dir + "/nope"}}, "password_file"},
		"bad key pair": {"http://example.test/", &Config{TLSConfig: TLSConfig{CertFile: notPEM, KeyFile: notPEM}}, "client cert"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.target, tc.c)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.msg)
			}
		})
	}
	// A nil config is the zero config: all defaults.
	p, err := New("http://example.test/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.(probes.Closer).Close(); err != nil {
		t.Error(err)
	}
}
