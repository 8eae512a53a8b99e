package http

import (
	"bufio"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// Plain-HTTP runs are carried by directTransport on the run's goroutine; what
// the target sees and what the probe reports must be what the standard
// transport gives.
func TestDirectRequestOnWire(t *testing.T) {
	got := make(chan *http.Request, 1)
	closed := make(chan struct{})
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(strings.NewReader(string(body)))
		got <- req
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		c.CloseWrite()
		io.Copy(io.Discard, c) // until the probe closes its end
		close(closed)
	})
	res := probe(t, "http://"+addr+"/path?q=1", &Config{Method: "POST", Body: "payload", Headers: map[string]string{"X-Test": "yes"}})
	if !res.Success {
		t.Fatalf("probe failed: %s", res.Message)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Error("the probe did not close its connection")
	}
	req := <-got
	body, _ := io.ReadAll(req.Body)
	for _, c := range []struct{ what, got, want string }{
		{"method", req.Method, "POST"},
		{"request URI", req.RequestURI, "/path?q=1"},
		{"host", req.Host, addr},
		{"body", string(body), "payload"},
		{"content length", req.Header.Get("Content-Length"), "7"},
		{"connection", req.Header.Get("Connection"), "close"},
		{"user agent", req.Header.Get("User-Agent"), UserAgent},
		{"custom header", req.Header.Get("X-Test"), "yes"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
}

// Interim responses (103 Early Hints, 100 Continue) are skipped, as the
// standard transport does, and the final response is checked.
func TestDirectSkipsInterimResponses(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"+
			"HTTP/1.1 100 Continue\r\n\r\n"+
			"HTTP/1.1 204 No Content\r\nX-Final: yes\r\n\r\n")
	})
	res := probe(t, "http://"+addr+"/", &Config{ValidStatusCodes: []int{204}, FailIfHeaderNotMatches: []HeaderMatch{{Header: "X-Final", Regexp: conf.Regexp{Regexp: regexp.MustCompile("yes")}}}})
	if !res.Success {
		t.Fatalf("probe failed: %s", res.Message)
	}
	if v := probetest.Sample(t, res, "probe_http_status_code"); v != 204 {
		t.Errorf("status %v, want 204", v)
	}
}

// A plain-HTTP probe builds the standard transport only when a redirect
// takes it to https, and that hop then goes through TLS as any other.
func TestDirectRedirectToHTTPS(t *testing.T) {
	secure := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	secure.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	secure.StartTLS()
	t.Cleanup(secure.Close)
	plain := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, secure.URL+"/", http.StatusFound)
	})
	p := newProber(t, plain.URL, nil)
	if p.direct.std.Load() != nil {
		t.Fatal("the standard transport was built before any https request")
	}
	// The test server's certificate is not trusted: the run reaches the
	// TLS handshake of the second hop and fails there.
	probetest.WantFail(t, probetest.Run(t, p, probeTimeout), probes.ReasonTLS, "certificate signed by unknown authority")
	if p.direct.std.Load() == nil {
		t.Error("the https hop did not use the standard transport")
	}
}
