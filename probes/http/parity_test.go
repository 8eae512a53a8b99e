package http

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// The cases of this file follow blackbox_exporter's documented behaviour
// (CONFIGURATION.md and prober/http_test.go on its master branch): the
// same server answers, the same values are expected.

var testMsg = []byte(strings.Repeat("hello world", 10))

func encode(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch enc {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w, _ = flate.NewWriter(&buf, flate.DefaultCompression)
	case "br":
		w = brotli.NewWriter(&buf)
	default:
		return b
	}
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// sends answers with body, Content-Encoding enc (if set) and status.
func sends(status int, enc string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if enc != "" {
			w.Header().Set("Content-Encoding", enc)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		w.Write(body)
	}
}

func TestContentLengthAndUncompressedLength(t *testing.T) {
	for _, tc := range []struct {
		name, config    string
		handler         http.HandlerFunc
		ok              bool
		contentLength   int
		uncompressedLen int
	}{
		{"identity", "", sends(200, "identity", testMsg), true, len(testMsg), len(testMsg)},
		{"no content-encoding", "", sends(200, "", testMsg), true, len(testMsg), len(testMsg)},
		{"unknown content-encoding", "", sends(200, "xxx", testMsg), true, len(testMsg), len(testMsg)},
		// The body of a failed response is still read and counted.
		{"404", "", sends(404, "", []byte("not found")), false, 9, 9},
		// Without compression set, nothing is decompressed.
		{"gzip not asked for", "", sends(200, "gzip", encode(t, "gzip", testMsg)), true, len(encode(t, "gzip", testMsg)), len(encode(t, "gzip", testMsg))},
		{"br not asked for", "", sends(200, "br", encode(t, "br", testMsg)), true, len(encode(t, "br", testMsg)), len(encode(t, "br", testMsg))},
		{"deflate not asked for", "", sends(200, "deflate", encode(t, "deflate", testMsg)), true, len(encode(t, "deflate", testMsg)), len(encode(t, "deflate", testMsg))},
		// With compression set, the body is decompressed and counted so.
		{"gzip", "compression: gzip", sends(200, "gzip", encode(t, "gzip", testMsg)), true, len(encode(t, "gzip", testMsg)), len(testMsg)},
		{"br", "compression: br", sends(200, "br", encode(t, "br", testMsg)), true, len(encode(t, "br", testMsg)), len(testMsg)},
		{"deflate", "compression: deflate", sends(200, "deflate", encode(t, "deflate", testMsg)), true, len(encode(t, "deflate", testMsg)), len(testMsg)},
		{"identity asked for", "compression: identity", sends(200, "identity", testMsg), true, len(testMsg), len(testMsg)},
		{"identity asked for, no header", "compression: identity", sends(200, "", testMsg), true, len(testMsg), len(testMsg)},
		{"encoding mismatch", "compression: deflate", sends(200, "gzip", encode(t, "gzip", testMsg)), false, len(encode(t, "gzip", testMsg)), 0},
		{"accept gzip", "compression: gzip\nheaders: {Accept-Encoding: gzip}", sends(200, "gzip", encode(t, "gzip", testMsg)), true, len(encode(t, "gzip", testMsg)), len(testMsg)},
		{"accept br, gzip", "compression: gzip\nheaders: {Accept-Encoding: 'br, gzip'}", sends(200, "gzip", encode(t, "gzip", testMsg)), true, len(encode(t, "gzip", testMsg)), len(testMsg)},
		{"accept anything", "compression: gzip\nheaders: {Accept-Encoding: '*'}", sends(200, "gzip", encode(t, "gzip", testMsg)), true, len(encode(t, "gzip", testMsg)), len(testMsg)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := server(t, tc.handler)
			res := probe(t, s.URL, probetest.Section[Config](t, tc.config+"\n"))
			if res.Success != tc.ok {
				t.Fatalf("success %v, want %v: %s", res.Success, tc.ok, res.Message)
			}
			if got := probetest.Sample(t, res, MetricContentLength); got != float64(tc.contentLength) {
				t.Errorf("content length %v, want %d", got, tc.contentLength)
			}
			if got := probetest.Sample(t, res, MetricUncompressedBody); got != float64(tc.uncompressedLen) {
				t.Errorf("uncompressed body length %v, want %d", got, tc.uncompressedLen)
			}
		})
	}
}

// The compression asked for is sent in Accept-Encoding unless a header
// says otherwise, and a corrupt body fails as protocol.
func TestCompressionRequestAndCorruptBody(t *testing.T) {
	for _, enc := range []string{"gzip", "deflate", "br", "identity"} {
		var got atomic.Value
		s := server(t, func(w http.ResponseWriter, r *http.Request) {
			got.Store(r.Header.Get("Accept-Encoding"))
			sends(200, enc, encode(t, enc, testMsg))(w, r)
		})
		probetest.WantSuccess(t, probe(t, s.URL, &Config{Compression: enc, FailIfBodyNotMatchesRegexp: mustRegexps(t, "hello world")}))
		if got.Load() != enc {
			t.Errorf("%s: Accept-Encoding %v", enc, got.Load())
		}
	}
	for _, enc := range []string{"gzip", "deflate", "br"} {
		s := server(t, sends(200, enc, []byte("this is not compressed at all, not even a little bit")))
		probetest.WantFail(t, probe(t, s.URL, &Config{Compression: enc}), probes.ReasonProtocol, "body is not valid "+enc)
	}
}

func TestMaxResponseLength(t *testing.T) {
	const max = 128
	short, long := bytes.Repeat([]byte{'A'}, max-1), bytes.Repeat([]byte{'A'}, max+1)
	mux := http.NewServeMux()
	mux.Handle("/short", sends(200, "", short))
	mux.Handle("/long", sends(200, "", long))
	mux.Handle("/short-compressed", sends(200, "gzip", encode(t, "gzip", short)))
	mux.Handle("/long-compressed", sends(200, "gzip", encode(t, "gzip", long)))
	s := httptest.NewServer(mux)
	defer s.Close()
	for _, tc := range []struct {
		path, compression string
		ok                bool
		contentLength     int
		uncompressedLen   int
	}{
		{"/short", "", true, max - 1, max - 1},
		// Past the limit, exactly the limit's bytes were read.
		{"/long", "", false, max + 1, max},
		{"/short-compressed", "gzip", true, len(encode(t, "gzip", short)), max - 1},
		// The limit is on the decompressed body.
		{"/long-compressed", "gzip", false, len(encode(t, "gzip", long)), max},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res := probe(t, s.URL+tc.path, &Config{BodySizeLimit: max, Compression: tc.compression})
			if tc.ok {
				probetest.WantSuccess(t, res)
			} else {
				probetest.WantFail(t, res, probes.ReasonBodyTooLarge, "body larger than body_size_limit 128")
			}
			if got := probetest.Sample(t, res, MetricContentLength); got != float64(tc.contentLength) {
				t.Errorf("content length %v, want %d", got, tc.contentLength)
			}
			if got := probetest.Sample(t, res, MetricUncompressedBody); got != float64(tc.uncompressedLen) {
				t.Errorf("uncompressed body length %v, want %d", got, tc.uncompressedLen)
			}
		})
	}
	// A body of exactly the limit is within it.
	exact := server(t, sends(200, "", bytes.Repeat([]byte{'A'}, max)))
	probetest.WantSuccess(t, probe(t, exact.URL, &Config{BodySizeLimit: max, FailIfBodyNotMatchesRegexp: mustRegexps(t, "A{128}")}))
}

// Past max_redirects (10 by default) the run fails with redirects, and
// the redirect it stopped at is the one reported, as blackbox_exporter
// reports it.
func TestRedirectionLimit(t *testing.T) {
	beyond := false
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/redirect-"))
		if n == 12 {
			beyond = true
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect-%d", n+1), http.StatusFound)
	})
	res := probe(t, s.URL, nil)
	probetest.WantFail(t, res, probes.ReasonRedirects, "more than 10 redirects")
	if beyond {
		t.Error("the probe followed too many redirects")
	}
	if probetest.Sample(t, res, MetricRedirects) != 11 || probetest.Sample(t, res, MetricStatusCode) != http.StatusFound {
		t.Errorf("redirects %v, status %v", probetest.Sample(t, res, MetricRedirects), probetest.Sample(t, res, MetricStatusCode))
	}
}

// Cookies set with a redirect travel with the next request of the run,
// and not into the next run.
func TestCookieJar(t *testing.T) {
	var (
		mu   sync.Mutex
		sent []string
	)
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			mu.Lock()
			sent = append(sent, r.Header.Get("Cookie"))
			mu.Unlock()
			http.SetCookie(w, &http.Cookie{Name: "somecookie", Value: "cookie", Expires: time.Now().Add(time.Hour)})
			http.Redirect(w, r, "/noredirect", http.StatusFound)
		case "/noredirect":
			c, err := r.Cookie("somecookie")
			if err != nil || c.Value != "cookie" {
				http.Error(w, "no cookie", http.StatusForbidden)
			}
		}
	})
	p := newProber(t, s.URL, nil)
	probetest.WantSuccess(t, probetest.Run(t, p, probeTimeout))
	probetest.WantSuccess(t, probetest.Run(t, p, probeTimeout))
	mu.Lock()
	if len(sent) != 2 || sent[0] != "" || sent[1] != "" {
		t.Errorf("the first request of a run carried cookies: %q", sent)
	}
	mu.Unlock()
	// A cookie header of the config's own goes along with the jar's.
	c := probetest.Section[Config](t, "headers: {Cookie: mine=1}")
	res := probe(t, s.URL, c)
	probetest.WantSuccess(t, res)
}

// Targets are read as blackbox_exporter reads them.
func TestTargetScheme(t *testing.T) {
	plain := server(t, ok)
	secure := httptest.NewTLSServer(http.HandlerFunc(ok))
	defer secure.Close()
	insecure := &Config{TLSConfig: TLSConfig{InsecureSkipVerify: true}}
	host := func(s *httptest.Server) string { return s.Listener.Addr().String() }
	for _, tc := range []struct {
		target string
		c      *Config
	}{
		{"http://" + host(plain), nil},
		{"https://" + host(secure), insecure},
		{"HTTP://" + host(plain), nil},
		{"HtTpS://" + host(secure), insecure},
		{host(plain), nil},
		{host(plain) + "/path?q=1", nil},
	} {
		res := probe(t, tc.target, tc.c)
		if !res.Success {
			t.Errorf("%s: %s", tc.target, res.Message)
		}
	}
	for target, msg := range map[string]string{
		"invalid://" + host(plain): `target "invalid://` + host(plain) + `" must be an http:// or https:// URL`,
		"ftp://x.test/":            `target "ftp://x.test/" must be an http:// or https:// URL`,
		"":                         "missing target URL",
		"http://":                  `target "http://" has no host`,
		"localhost:http":           "not a valid URL",
	} {
		if _, err := New(target, nil); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("New(%q): %v, want an error containing %q", target, err, msg)
		}
	}
	for in, want := range map[string]string{
		"localhost:8080":       "http://localhost:8080",
		"example.test/a?b=c":   "http://example.test/a?b=c",
		"HTTPS://example.test": "https://example.test",
		"[::1]:80":             "http://[::1]:80",
	} {
		if got, err := NormalizeTarget(in, nil); err != nil || got != want {
			t.Errorf("NormalizeTarget(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, _ := NormalizeTarget("localhost:8443", &Config{EnableHTTP3: true}); got != "https://localhost:8443" {
		t.Errorf("with enable_http3: %q", got)
	}
}

func TestFailIfBodyJSONMatchesCEL(t *testing.T) {
	for _, tc := range []struct {
		name, body, expr string
		ok               bool
	}{
		{"matches", `{"foo": {"bar": "baz"}}`, "body.foo.bar == 'baz'", false},
		{"does not match", `{"foo": {"bar": "baz"}}`, "body.foo.bar == 'qux'", true},
		{"no such key", `{}`, "body.foo.bar == 'qux'", false},
		{"result not a bool", `{"foo": {"bar": "baz"}}`, "body.foo.bar", false},
		{"not json", "hello world", "body.foo.bar == 'baz'", false},
		{"json string", `"foo"`, "body == 'foo'", false},
		{"json list", `["foo","bar","baz"]`, "body[2] == 'baz'", false},
		{"json boolean", `true`, "body", false},
		{"empty body", "", "body.foo.bar == 'baz'", false},
		{"emoji", "🤠🤠🤠", "body.foo.bar == 'baz'", false},
		{"json with emoji", `{"foo": {"bar": "🤠🤠🤠"}}`, "body.foo.bar == '😿😿😿'", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := server(t, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, tc.body) })
			res := probe(t, s.URL, &Config{FailIfBodyJSONMatchesCEL: mustCEL(t, tc.expr)})
			checkCELResult(t, res, tc.ok, len(tc.body))
		})
	}
}

func TestFailIfBodyJSONNotMatchesCEL(t *testing.T) {
	for _, tc := range []struct {
		name, body, expr string
		ok               bool
	}{
		{"matches", `{"foo": {"bar": "baz"}}`, "body.foo.bar == 'baz'", true},
		{"does not match", `{"foo": {"bar": "baz"}}`, "body.foo.bar == 'qux'", false},
		{"no such key", `{}`, "body.foo.bar == 'qux'", false},
		{"result not a bool", `{"foo": {"bar": "baz"}}`, "body.foo.bar", false},
		{"not json", "hello world", "body.foo.bar == 'baz'", false},
		{"json string", `"foo"`, "body == 'foo'", true},
		{"json list", `["foo","bar","baz"]`, "body[2] == 'baz'", true},
		{"json boolean", `true`, "body", true},
		{"empty body", "", "body.foo.bar == 'baz'", false},
		{"numbers", `{"items": [{"n": 1}, {"n": 2.5}]}`, "body.items.all(i, i.n > 0) && size(body.items) == 2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := server(t, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, tc.body) })
			res := probe(t, s.URL, &Config{FailIfBodyJSONNotMatchesCEL: mustCEL(t, tc.expr)})
			checkCELResult(t, res, tc.ok, len(tc.body))
		})
	}
}

func checkCELResult(t *testing.T, res probes.Result, ok bool, bodyLen int) {
	t.Helper()
	if res.Success != ok {
		t.Fatalf("success %v, want %v: %s", res.Success, ok, res.Message)
	}
	if !ok && res.Reason != probes.ReasonBodyMismatch {
		t.Errorf("reason %q: %s", res.Reason, res.Message)
	}
	if got := probetest.Sample(t, res, MetricFailedDueToCEL); got != b2f(!ok) {
		t.Errorf("%s = %v", MetricFailedDueToCEL, got)
	}
	if probetest.Sample(t, res, MetricFailedDueToRegex) != 0 {
		t.Errorf("a CEL failure counted as a regex one")
	}
	if probetest.Sample(t, res, MetricContentLength) != float64(bodyLen) || probetest.Sample(t, res, MetricUncompressedBody) != float64(bodyLen) {
		t.Errorf("content length %v, body length %v, want %d", probetest.Sample(t, res, MetricContentLength), probetest.Sample(t, res, MetricUncompressedBody), bodyLen)
	}
}

// probe_failed_due_to_cel is there only where CEL is configured.
func TestCELSampleOnlyWhenConfigured(t *testing.T) {
	s := server(t, ok)
	if _, found := probetest.Find(probe(t, s.URL, nil), MetricFailedDueToCEL); found {
		t.Error("a probe without CEL reports " + MetricFailedDueToCEL)
	}
}

// A CEL evaluation stops at the run's deadline.
func TestCELHonoursDeadline(t *testing.T) {
	items := strings.Repeat(`{"n": 1},`, 20000)
	s := server(t, func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"items": [`+items+`{"n": 1}]}`)
	})
	// Quadratic in the items: far longer than the run's 300ms.
	e := mustCEL(t, "body.items.all(a, body.items.all(b, a.n == b.n))")
	res := probetest.Run(t, newProber(t, s.URL, &Config{FailIfBodyJSONNotMatchesCEL: e}), 300*time.Millisecond)
	if res.Success {
		t.Fatal("the evaluation finished: make it longer")
	}
	if !strings.Contains(res.Message, "evaluating CEL expression") {
		t.Errorf("reason %q: %s", res.Reason, res.Message)
	}
}

func mustCEL(t *testing.T, expr string) *CEL {
	t.Helper()
	c, err := CompileCEL(expr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
