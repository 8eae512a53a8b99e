package http

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// directTransport carries plain-HTTP requests through a connection of their
// own on the calling goroutine: dial, write the request, read the response.
// http.Transport, built for pooled connections, runs a dial goroutine and a
// read and a write goroutine for every connection and passes the request
// and the response between them; with keep-alives off that is three new
// goroutines, their stack growth and four hand-offs per run, which at a few
// thousand probes a second was most of what the agent did besides the
// kernel's connect and close, and each hand-off waits in Go's run queue,
// late when the machine is busy. The request and the response are still
// written and parsed by net/http (Request.Write, ReadResponse).
//
// Anything else (https, which may negotiate HTTP/2, and proxies) goes to
// the standard transport.
type directTransport struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	proxied bool
	h3      func(*http.Request) (*http.Response, error) // https over HTTP/3, when enabled

	build func() (*http.Transport, error)
	mu    sync.Mutex
	std   atomic.Pointer[http.Transport]

	// serverName, when set, is the TLS server name of requests to the
	// host the run started at: the configured Host header's, as
	// blackbox_exporter uses it when tls_config names none. A redirect
	// to another host verifies that host's own name.
	serverName string
	named      atomic.Pointer[http.Transport]
}

// standardFor returns the standard transport for req: the one with the
// Host header's server name for a request to the run's first host.
func (t *directTransport) standardFor(req *http.Request) (*http.Transport, error) {
	std, err := t.standard()
	if err != nil || t.serverName == "" {
		return std, err
	}
	if r := runFrom(req.Context()); r == nil || r.first == nil || !strings.EqualFold(r.first.Host, req.URL.Host) {
		return std, nil
	}
	if named := t.named.Load(); named != nil {
		return named, nil
	}
	named := std.Clone()
	named.TLSClientConfig.ServerName = t.serverName
	t.named.CompareAndSwap(nil, named)
	return t.named.Load(), nil
}

// standard returns the standard transport, building it on first use.
func (t *directTransport) standard() (*http.Transport, error) {
	if std := t.std.Load(); std != nil {
		return std, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if std := t.std.Load(); std != nil {
		return std, nil
	}
	std, err := t.build()
	if err != nil {
		return nil, err
	}
	t.std.Store(std)
	return std, nil
}

var (
	directReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
	directWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 1<<10) }}
)

// longAgo is a deadline in the past: setting it wakes a blocked read or
// write at once.
var longAgo = time.Unix(1, 0)

func (t *directTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() { // a RoundTripper closes the request body, even on error
		if req.Body != nil {
			req.Body.Close()
		}
	}
	if t.h3 != nil && req.URL.Scheme == "https" {
		return t.h3(req)
	}
	if req.URL.Scheme != "http" || t.proxied {
		std, err := t.standardFor(req)
		if err != nil {
			closeBody()
			return nil, err
		}
		return std.RoundTrip(req)
	}
	ctx := req.Context()
	trace := httptrace.ContextClientTrace(ctx)
	if trace != nil && trace.GetConn != nil {
		trace.GetConn(req.URL.Host)
	}
	conn, err := t.dial(ctx, "tcp", canonicalAddr(req.URL))
	if err != nil {
		closeBody()
		return nil, err
	}
	if trace != nil && trace.GotConn != nil {
		trace.GotConn(httptrace.GotConnInfo{Conn: conn})
	}
	// Receive times are on before the request goes out, so that the
	// response has them however soon it comes.
	body := &directBody{conn: conn}
	body.rx.start(conn)
	run := runFrom(ctx)
	if run != nil {
		run.setClock(&body.rx)
	}
	// Cancellation other than the deadline (which dial set on the
	// connection) wakes the blocked read or write.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(longAgo) })
	body.stop = stop
	fail := func(err error) (*http.Response, error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, err
	}

	out := *req // Close adds "Connection: close", as the standard transport does without keep-alives
	out.Close = true
	bw := directWriters.Get().(*bufio.Writer)
	bw.Reset(conn)
	err = out.Write(bw) // closes the request body
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	directWriters.Put(bw)
	if err != nil {
		return fail(err)
	}

	br := directReaders.Get().(*bufio.Reader)
	body.br = br
	body.headLeft = maxHeaderBytes
	br.Reset((*headReader)(body))
	if _, err := br.Peek(1); err != nil {
		body.release()
		return fail(err)
	}
	if at, ok := body.rx.received(); ok && run != nil {
		run.enterAt(phaseTransfer, at)
	} else if trace != nil && trace.GotFirstResponseByte != nil {
		trace.GotFirstResponseByte()
	}
	for interim := 0; ; interim++ {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			body.release()
			if body.headLeft < 0 {
				err = errHeadTooLarge
			}
			return fail(err)
		}
		// Informational answers (100 Continue, 103 Early Hints) come
		// before the response, as the standard transport skips them,
		// and as it does, only a few.
		if resp.StatusCode >= 100 && resp.StatusCode <= 199 && resp.StatusCode != http.StatusSwitchingProtocols {
			if interim == maxInterim {
				body.release()
				return fail(errTooManyInterim)
			}
			continue
		}
		body.headLeft = noHeadLimit
		body.rc = resp.Body
		resp.Body = body
		return resp, nil
	}
}

// maxInterim is how many 1xx answers may come before the response, as in
// the standard transport.
const maxInterim = 5

var (
	errHeadTooLarge   = fmt.Errorf("response head larger than %s", conf.ByteSize(maxHeaderBytes))
	errTooManyInterim = fmt.Errorf("more than %d informational (1xx) responses", maxInterim)
)

// noHeadLimit marks a headReader whose head has been read.
const noHeadLimit = 1 << 62

// headReader is what the buffered reader of a directBody reads: the
// connection, at most headLeft bytes of it until the response head has
// been parsed. It counts what the buffered reader takes, a little of the
// body included, as the standard transport's limit does; headLeft < 0
// means the head did not fit. (A view of directBody rather than a field
// of it: a few bytes more put directBody in a larger size class.)
type headReader directBody

func (h *headReader) Read(p []byte) (int, error) {
	if h.headLeft <= 0 {
		h.headLeft = -1
		return 0, errHeadTooLarge
	}
	if int64(len(p)) > h.headLeft {
		p = p[:h.headLeft]
	}
	n, err := h.rx.readFrom(h.conn, p)
	if h.headLeft != noHeadLimit {
		h.headLeft -= int64(n)
	}
	return n, err
}

// canonicalAddr is host:port of u, the port defaulting to 80.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// directBody is a response body that closes its connection when closed.
// Close may come from another goroutine while a Read blocks: it closes the
// connection first, which ends the Read, and then returns the buffer.
type directBody struct {
	conn     net.Conn
	rx       rxClock // read by the run's goroutine only
	headLeft int64
	stop     func() bool
	closed   atomic.Bool

	mu sync.Mutex // guards br and rc against a Close during a Read
	br *bufio.Reader
	rc io.ReadCloser
}

func (b *directBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.br == nil {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.rc.Read(p)
}

func (b *directBody) Close() error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	b.stop()
	err := b.conn.Close()
	b.mu.Lock()
	b.release()
	b.mu.Unlock()
	return err
}

// release returns the read buffer; nothing reads it afterwards.
func (b *directBody) release() {
	if b.br != nil {
		b.br.Reset(nil)
		directReaders.Put(b.br)
		b.br = nil
	}
}
