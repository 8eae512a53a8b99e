package http

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// shortTimeout keeps the cases that must time out quick.
const shortTimeout = 500 * time.Millisecond

// readRequest consumes a request head.
func readRequest(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil || line == "\r\n" {
			return
		}
	}
}

func TestHangingTargetTimesOutInProcessing(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		io.Copy(io.Discard, c) // never answer; wait for the client to give up
	})
	p := newProber(t, "http://"+addr+"/", nil)
	res := probetest.Run(t, p, shortTimeout)
	probetest.WantFail(t, res, probes.ReasonTimeout, "timed out after 500ms while waiting for the response (processing phase)")
	// The deadline is set before the prober starts its clock, so the
	// run measures a little less than the timeout; far less is a bug.
	if res.Duration < shortTimeout-50*time.Millisecond {
		t.Errorf("gave up after %s, before the timeout", res.Duration)
	}
	// The wait counts as processing, so the phases explain the run.
	if v := probetest.Sample(t, res, MetricDuration, "processing"); v < 0.25 {
		t.Errorf("processing phase %vs, it lasted the whole run", v)
	}
}

func TestHangingTLSHandshakeTimesOut(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) { io.Copy(io.Discard, c) })
	res := probetest.Run(t, newProber(t, "https://"+addr+"/", nil), shortTimeout)
	probetest.WantFail(t, res, probes.ReasonTimeout, "(tls phase)")
}

func TestResetConnection(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		c.SetLinger(0) // close with RST
		c.Close()
	})
	probetest.WantFail(t, probe(t, "http://"+addr+"/", nil), probes.ReasonConnect, "connection reset by peer while waiting for the response (processing phase)")
}

func TestClosedWithoutResponse(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		c.CloseWrite()
		io.Copy(io.Discard, c)
	})
	probetest.WantFail(t, probe(t, "http://"+addr+"/", nil), probes.ReasonConnect, "connection closed by peer before a response")
}

func TestMalformedResponses(t *testing.T) {
	for name, tc := range map[string]struct{ response, msg string }{
		"garbage":     {"hello there\r\n\r\n", "malformed HTTP status code \"there\" while reading the response head (transfer phase)"},
		"truncated":   {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "body ended early"},
		"bad chunked": {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n", "invalid byte in chunk length"},
		"bad header":  {"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "malformed MIME header"},
	} {
		t.Run(name, func(t *testing.T) {
			addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
				readRequest(c)
				io.WriteString(c, tc.response)
			})
			probetest.WantFail(t, probe(t, "http://"+addr+"/", nil), probes.ReasonProtocol, tc.msg)
		})
	}
}

func TestSlowDripBodyTimesOutInTransfer(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for {
			if _, err := io.WriteString(w, "."); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	res := probetest.Run(t, newProber(t, s.URL, nil), shortTimeout)
	probetest.WantFail(t, res, probes.ReasonTimeout, "timed out after 500ms while reading the body (transfer phase)")
	if probetest.Sample(t, res, MetricStatusCode) != 200 {
		t.Errorf("status sample %v", probetest.Sample(t, res, MetricStatusCode))
	}
	if tr := probetest.Sample(t, res, MetricDuration, "transfer"); tr < 0.15 {
		t.Errorf("transfer phase %vs, the body dripped for most of the run", tr)
	}
}

func TestBodySizeLimit(t *testing.T) {
	const size = 4 << 20
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("length") == "" {
			w.(http.Flusher).Flush() // chunked: the size is known only by reading
		} else {
			w.Header().Set("Content-Length", "4194304")
		}
		chunk := strings.Repeat("x", 64<<10)
		for i := 0; i < size/len(chunk); i++ {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
	c := probetest.Section[Config](t, "body_size_limit: 1MiB")
	res := probe(t, s.URL, c)
	probetest.WantFail(t, res, probes.ReasonBodyTooLarge, "body larger than body_size_limit 1MiB")
	res = probe(t, s.URL+"?length=1", c)
	probetest.WantFail(t, res, probes.ReasonBodyTooLarge, "body larger than body_size_limit 1MiB (Content-Length 4194304)")

	res = probe(t, s.URL, probetest.Section[Config](t, "body_size_limit: 8MiB"))
	probetest.WantSuccess(t, res)
	if probetest.Sample(t, res, MetricUncompressedBody) != size || probetest.Sample(t, res, MetricContentLength) != -1 {
		t.Errorf("body length %v, content length %v", probetest.Sample(t, res, MetricUncompressedBody), probetest.Sample(t, res, MetricContentLength))
	}
}

func TestUnresolvableName(t *testing.T) {
	res := probe(t, "http://nothing-here.invalid/", nil)
	probetest.WantFail(t, res, probes.ReasonDNS, "lookup nothing-here.invalid: no such host")
	if probetest.Sample(t, res, MetricIPProtocol) != 0 {
		t.Errorf("ip protocol %v for a name that did not resolve", probetest.Sample(t, res, MetricIPProtocol))
	}
}

func TestConnectionRefused(t *testing.T) {
	addr := testutil.FreeAddr(t)
	probetest.WantFail(t, probe(t, "http://"+addr+"/", nil), probes.ReasonConnect, "connection to "+addr+" refused")
}

func TestCanceled(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) { readRequest(c); io.Copy(io.Discard, c) })
	p := newProber(t, "http://"+addr+"/", nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	time.AfterFunc(100*time.Millisecond, cancel)
	res := p.Probe(ctx, slog.New(slog.DiscardHandler))
	probetest.WantFail(t, res, probes.ReasonCanceled, "canceled while waiting for the response")
}

func TestCompression(t *testing.T) {
	body := strings.Repeat("compress me ", 100)
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/corrupt":
			w.Header().Set("Content-Encoding", "gzip")
			io.WriteString(w, "this is not gzip at all")
			return
		case "/plain":
			io.WriteString(w, body)
			return
		}
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "gzip not asked for", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, body)
		zw.Close()
	})
	c := probetest.Section[Config](t, "compression: gzip\nfail_if_body_not_matches_regexp: ['^(compress me )+$']")
	res := probe(t, s.URL, c)
	probetest.WantSuccess(t, res)
	if n := probetest.Sample(t, res, MetricUncompressedBody); n != float64(len(body)) {
		t.Errorf("uncompressed length %v, want %d", n, len(body))
	}
	if n := probetest.Sample(t, res, MetricContentLength); n >= float64(len(body)) || n == 0 {
		t.Errorf("content length %v should be the compressed size", n)
	}
	probetest.WantFail(t, probe(t, s.URL+"/plain", c), probes.ReasonHeaderMismatch, `response Content-Encoding is "", asked for "gzip"`)
	probetest.WantFail(t, probe(t, s.URL+"/corrupt", c), probes.ReasonProtocol, "body is not valid gzip")
	// The body size limit applies to the decompressed body too.
	probetest.WantFail(t, probe(t, s.URL, probetest.Section[Config](t, "compression: gzip\nbody_size_limit: 1000")), probes.ReasonBodyTooLarge, "body_size_limit")
}

func TestDeflate(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "deflate" {
			http.Error(w, "deflate not asked for", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Encoding", "deflate")
		zw, _ := flate.NewWriter(w, flate.BestSpeed)
		io.WriteString(zw, "hi\n")
		zw.Close()
	})
	res := probe(t, s.URL, probetest.Section[Config](t, "compression: deflate\nfail_if_body_not_matches_regexp: ['^hi\\n$']"))
	probetest.WantSuccess(t, res)
	if probetest.Sample(t, res, MetricUncompressedBody) != 3 {
		t.Errorf("uncompressed length %v", probetest.Sample(t, res, MetricUncompressedBody))
	}
}

func TestHangingHeadTimesOut(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
		io.Copy(io.Discard, c)
	})
	res := probetest.Run(t, newProber(t, "http://"+addr+"/", nil), shortTimeout)
	probetest.WantFail(t, res, probes.ReasonTimeout, "timed out after 500ms while reading the response head (transfer phase)")
}

// Phases add up to what the target made the run wait for.
func TestPhaseTiming(t *testing.T) {
	const think, drip = 60 * time.Millisecond, 40 * time.Millisecond
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(think)
		io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		time.Sleep(drip)
		io.WriteString(w, "second")
	})
	res := probe(t, s.URL, nil)
	probetest.WantSuccess(t, res)
	if v := probetest.Sample(t, res, MetricDuration, "processing"); v < think.Seconds() {
		t.Errorf("processing %vs, the server thought for %s", v, think)
	}
	if v := probetest.Sample(t, res, MetricDuration, "transfer"); v < drip.Seconds() {
		t.Errorf("transfer %vs, the body took %s", v, drip)
	}
	if res.Duration < think+drip {
		t.Errorf("duration %s shorter than the server's delays", res.Duration)
	}
}

// The message names the timeout as configured, though the run starts a
// moment after its deadline was set.
func TestTimeoutText(t *testing.T) {
	start := time.Now()
	for d, want := range map[time.Duration]string{
		2*time.Second - 3*time.Millisecond:         "2s",
		500*time.Millisecond - 20*time.Millisecond: "500ms",
		50*time.Millisecond - time.Millisecond:     "50ms",
		90 * time.Second:                           "1m30s",
		-time.Second:                               "0s",
	} {
		r := &run{start: start, deadline: start.Add(d)}
		if got := r.timeout(); got != want {
			t.Errorf("timeout for %s = %s, want %s", d, got, want)
		}
	}
}
