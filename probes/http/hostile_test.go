package http

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// Targets that send without end must not grow the agent nor hold a run
// past its timeout.

// allocated runs f and returns the bytes allocated meanwhile (by the whole
// process: the test servers write precomputed bytes, so it is the probe's).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// endless writes chunk to c until the probe hangs up.
func endless(c net.Conn, chunk []byte) {
	for {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}

// rawTLSServer is testutil.ServeTCP over TLS.
func rawTLSServer(t *testing.T, cert tls.Certificate, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	return probetest.Serve(t, ln, handle)
}

func TestEndlessResponseHead(t *testing.T) {
	line := bytes.Repeat([]byte("a"), 64<<10)
	lines := bytes.Repeat([]byte("X-More: a\r\n"), 4<<10)
	heads := map[string]func(c net.Conn){
		"one endless header line": func(c net.Conn) {
			readRequest(c)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Long: ")
			endless(c, line)
		},
		"endless header lines": func(c net.Conn) {
			readRequest(c)
			io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			endless(c, lines)
		},
		"endless status line": func(c net.Conn) {
			readRequest(c)
			io.WriteString(c, "HTTP/1.1 200 ")
			endless(c, line)
		},
	}
	pki := testutil.NewCerts(t)
	cert := pki.Server(t)
	for name, h := range heads {
		for _, scheme := range []string{"http", "https"} {
			t.Run(scheme+"/"+name, func(t *testing.T) {
				var addr string
				if scheme == "http" {
					addr = testutil.ServeTCP(t, func(c *net.TCPConn) { h(c) })
				} else {
					addr = rawTLSServer(t, cert, h)
				}
				p := newProber(t, scheme+"://"+addr+"/", &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile}})
				var res probes.Result
				n := allocated(func() { res = probetest.Run(t, p, 30*time.Second) })
				probetest.WantFail(t, res, probes.ReasonProtocol, "response head larger than 1MiB while reading the response head")
				if n > 32<<20 {
					t.Errorf("the run allocated %d MiB", n>>20)
				}
			})
		}
	}
}

// A head that is large but within the limit is read as usual.
func TestLargeResponseHead(t *testing.T) {
	big := strings.Repeat("c", 512<<10)
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nSet-Cookie: big="+big+"\r\nContent-Length: 2\r\n\r\nok")
	})
	probetest.WantSuccess(t, probe(t, "http://"+addr+"/", nil))
}

func TestEndlessInterimResponses(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		endless(c, []byte("HTTP/1.1 100 Continue\r\n\r\n"))
	})
	res := probetest.Run(t, newProber(t, "http://"+addr+"/", nil), 5*time.Second)
	probetest.WantFail(t, res, probes.ReasonProtocol, "more than 5 informational (1xx) responses")
}

// A head that trickles in, a byte at a time, never reaches the limit: the
// run ends at its timeout.
func TestTricklingResponseHead(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Slow: ")
		for {
			if _, err := c.Write([]byte("a")); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	res := probetest.Run(t, newProber(t, "http://"+addr+"/", nil), shortTimeout)
	probetest.WantFail(t, res, probes.ReasonTimeout, "timed out after 500ms while reading the response head (transfer phase)")
}

// gzipBomb is size bytes of zeros, gzipped: gzip members of 1 MiB each,
// one after another, about a thousandth of the size on the wire.
func gzipBomb(t *testing.T, size int) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return bytes.Repeat(member.Bytes(), size>>20)
}

func TestGzipBomb(t *testing.T) {
	const size = 32 << 20
	bomb := gzipBomb(t, size)
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(bomb)))
		w.Write(bomb)
	})
	for _, tc := range []struct {
		config   string
		bodyLen  float64
		msg      string
		maxAlloc uint64
	}{
		// The default body_size_limit stops the body at 10 MiB.
		{"compression: gzip\nfail_if_body_not_matches_regexp: [x]", DefaultBodySizeLimit,
			"body larger than body_size_limit 10MiB", 48 << 20},
		{"compression: gzip", DefaultBodySizeLimit, "body larger than body_size_limit 10MiB", 8 << 20},
		// With no limit, a body that is matched is still kept only up
		// to a bound (64 MiB; 4 MiB here, as inflating 64 MiB takes
		// long under the race detector; TestEndlessBodyWithRegexp has
		// the real bound).
		{"compression: gzip\nbody_size_limit: none\nfail_if_body_matches_regexp: [x]", 4 << 20,
			"body larger than 4MiB, the most kept for body checks when body_size_limit is none", 16 << 20},
	} {
		t.Run(tc.config, func(t *testing.T) {
			p := newProber(t, s.URL, probetest.Section[Config](t, tc.config))
			p.keptMax = 4 << 20
			var res probes.Result
			n := allocated(func() { res = probetest.Run(t, p, 30*time.Second) })
			probetest.WantFail(t, res, probes.ReasonBodyTooLarge, tc.msg)
			if got := probetest.Sample(t, res, MetricUncompressedBody); got != tc.bodyLen {
				t.Errorf("uncompressed body length %v, want %v", got, tc.bodyLen)
			}
			if n > tc.maxAlloc {
				t.Errorf("the run allocated %d MiB, want at most %d", n>>20, tc.maxAlloc>>20)
			}
		})
	}

	// No limit and nothing to match: the body is read to its end and
	// thrown away as it comes.
	p := newProber(t, s.URL, probetest.Section[Config](t, "compression: gzip\nbody_size_limit: none"))
	var res probes.Result
	n := allocated(func() { res = probetest.Run(t, p, 30*time.Second) })
	if res.Reason == probes.ReasonTimeout {
		t.Skipf("the machine is too busy to decompress %d MiB in 30s", size>>20)
	}
	probetest.WantSuccess(t, res)
	if got := probetest.Sample(t, res, MetricUncompressedBody); got != size {
		t.Errorf("uncompressed body length %v, want %d", got, size)
	}
	if n > 8<<20 {
		t.Errorf("the run allocated %d MiB", n>>20)
	}
}

// A body that never ends, with a regex to match, stops at the default
// limit, or with no limit at the most a run keeps; the buffer it filled is
// not kept for the next run.
func TestEndlessBodyWithRegexp(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
		endless(c, bytes.Repeat([]byte("x"), 64<<10))
	})
	p := newProber(t, "http://"+addr+"/", probetest.Section[Config](t, "fail_if_body_not_matches_regexp: [ok]"))
	var res probes.Result
	n := allocated(func() { res = probetest.Run(t, p, 30*time.Second) })
	probetest.WantFail(t, res, probes.ReasonBodyTooLarge, "body larger than body_size_limit 10MiB")
	if n > 48<<20 {
		t.Errorf("the run allocated %d MiB", n>>20)
	}
	if got := probetest.Sample(t, res, MetricUncompressedBody); got != DefaultBodySizeLimit {
		t.Errorf("uncompressed body length %v", got)
	}
	for range 4 {
		if b := p.bufs.Get().(*[]byte); cap(*b) > maxPooledBody {
			t.Fatalf("a %d-byte buffer was pooled", cap(*b))
		}
	}

	// With no limit, what is kept is bounded all the same: 64 MiB as the
	// README says; 8 MiB here, as 64 MiB takes seconds under the race
	// detector.
	p = newProber(t, "http://"+addr+"/", probetest.Section[Config](t, "body_size_limit: none\nfail_if_body_not_matches_regexp: [ok]"))
	if p.keptMax != 64<<20 {
		t.Fatalf("a run keeps up to %d bytes of a body with no limit", p.keptMax)
	}
	p.keptMax = 8 << 20
	n = allocated(func() { res = probetest.Run(t, p, 30*time.Second) })
	probetest.WantFail(t, res, probes.ReasonBodyTooLarge, "body larger than 8MiB, the most kept for body checks when body_size_limit is none")
	if got := probetest.Sample(t, res, MetricUncompressedBody); got != 8<<20 {
		t.Errorf("uncompressed body length %v", got)
	}
	// Doubling from 512 bytes to 8 MiB allocates about 16 MiB in all,
	// and never a buffer past 8 MiB.
	if n > 24<<20 {
		t.Errorf("the run allocated %d MiB", n>>20)
	}
}

// A failure quoting what the target sent quotes a bounded part of it: the
// message is kept in the probe's state, its incident and the logs.
func TestHugeMalformedHeaderLine(t *testing.T) {
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Bad: "+strings.Repeat("\x01", 900<<10)+"\r\n\r\n")
	})
	res := probeLarge(t, "http://"+addr+"/", nil)
	probetest.WantFail(t, res, probes.ReasonProtocol, `malformed MIME header line: "X-Bad: \x01`)
	probetest.WantFail(t, res, probes.ReasonProtocol, " bytes cut] ")
	if len(res.Message) > 1<<10 {
		t.Errorf("the message is %d bytes long", len(res.Message))
	}
}

// A header check quotes a bounded part of the header it failed on.
func TestHugeHeaderInCheckMessage(t *testing.T) {
	big := strings.Repeat("v", 900<<10)
	s := server(t, func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Big", big) })
	for _, check := range []string{
		"fail_if_header_matches: [{header: X-Big, regexp: '^v'}]",
		"fail_if_header_not_matches: [{header: X-Big, regexp: '^x'}]",
	} {
		res := probeLarge(t, s.URL, probetest.Section[Config](t, check))
		probetest.WantFail(t, res, probes.ReasonHeaderMismatch, `header X-Big: "vvv`)
		probetest.WantFail(t, res, probes.ReasonHeaderMismatch, " bytes cut] ")
		if len(res.Message) > 1<<10 {
			t.Errorf("%s: the message is %d bytes long", check, len(res.Message))
		}
	}
}

// A redirect loop through a URL of 64 KiB names a bounded part
// of it.
func TestRedirectLoopThroughHugeURL(t *testing.T) {
	long := "/" + strings.Repeat("a", 64<<10)
	s := server(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, long, http.StatusFound) })
	res := probeLarge(t, s.URL, nil)
	probetest.WantFail(t, res, probes.ReasonRedirects, "more than 10 redirects (max_redirects); redirect loop through "+s.URL+"/aaa")
	probetest.WantFail(t, res, probes.ReasonRedirects, " bytes cut] ")
	if len(res.Message) > 1<<10 {
		t.Errorf("the message is %d bytes long", len(res.Message))
	}
}

// A reason phrase or a Content-Encoding of half a megabyte is quoted in
// part, on success as on failure.
func TestHugeStatusLineAndEncoding(t *testing.T) {
	big := strings.Repeat("r", 500<<10)
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 "+big+"\r\nContent-Encoding: "+big+"\r\nContent-Length: 2\r\n\r\nok")
	})
	res := probeLarge(t, "http://"+addr+"/", nil)
	probetest.WantSuccess(t, res)
	if !strings.HasPrefix(res.Message, "HTTP/1.1 200 rrr") || !strings.Contains(res.Message, " bytes cut] ") || len(res.Message) > 1<<10 {
		t.Errorf("message of %d bytes: %.100q", len(res.Message), res.Message)
	}
	res = probeLarge(t, "http://"+addr+"/", probetest.Section[Config](t, "compression: gzip"))
	probetest.WantFail(t, res, probes.ReasonHeaderMismatch, `response Content-Encoding is "rrr`)
	if len(res.Message) > 1<<10 {
		t.Errorf("the message is %d bytes long", len(res.Message))
	}
}

// Over HTTP/2 a response head over the limit fails as over HTTP/1.1,
// saying so, though net/http names only the HTTP/2 error code.
func TestHTTP2ResponseHeadTooLarge(t *testing.T) {
	pki := testutil.NewCerts(t)
	cert := pki.Server(t)
	for name, tc := range map[string]struct {
		h    http.HandlerFunc
		code string
	}{
		"one long header": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Long", strings.Repeat("h", 2<<20))
		}, "COMPRESSION_ERROR"},
		"many headers": {func(w http.ResponseWriter, r *http.Request) {
			w.Header()["X-Many"] = make([]string, 100_000)
		}, "PROTOCOL_ERROR"},
	} {
		t.Run(name, func(t *testing.T) {
			s := tlsServer(t, cert, true, tc.h)
			res := probeLarge(t, s.URL, &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile}})
			probetest.WantFail(t, res, probes.ReasonProtocol,
				"HTTP/2 response head larger than 1MiB or malformed (connection error: "+tc.code+") while waiting for the response (processing phase)")
		})
	}
}
