package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"sync"
	"time"
)

// requester sends one request of a step and reads its response. It is the
// one seam between the steps and HTTP: the http kind's own client (its
// transport, tracing, TLS and auth) can take its place.
type requester interface {
	do(ctx context.Context, req *http.Request) (*response, error)
	// cookie returns the value of the cookie name the run holds for u.
	cookie(req *http.Request, name string) (string, bool)
	close()
}

// response is a step's response with its body read and its timeline.
type response struct {
	*http.Response
	body    []byte
	latency time.Duration // from sending the request to the end of the body
	phases  phases
	tls     *tls.ConnectionState

	parsed  bool
	doc     any
	jsonErr error
}

// json parses the body once.
func (r *response) json() (any, error) {
	if !r.parsed {
		r.parsed = true
		r.jsonErr = json.Unmarshal(r.body, &r.doc)
	}
	return r.doc, r.jsonErr
}

// phases are a request's timings, as the http kind names them.
type phases struct {
	resolve, connect, tls, processing, transfer time.Duration
}

func (p phases) args() []any {
	return []any{"resolve", p.resolve, "connect", p.connect, "tls", p.tls, "processing", p.processing, "transfer", p.transfer}
}

var (
	errTooLarge         = errors.New("body too large")
	errTooManyRedirects = errors.New("more than 10 redirects")
)

// netClient is the requester on net/http: one transport and one cookie jar
// per run, so that the steps of a run share connections and cookies as a
// client would, and no run sees another's.
type netClient struct {
	client *http.Client
	tr     *http.Transport
	limit  int64
}

func (p *prober) newClient() *netClient {
	jar, _ := cookiejar.New(nil) // never fails without options
	tr := p.transport.Clone()
	c := &netClient{tr: tr, limit: p.limit}
	c.client = &http.Client{Transport: tr, Jar: jar, CheckRedirect: p.checkRedirect}
	return c
}

func (p *prober) checkRedirect(req *http.Request, via []*http.Request) error {
	if !p.follow {
		return http.ErrUseLastResponse
	}
	if len(via) > MaxRedirects {
		return errTooManyRedirects
	}
	return nil
}

func (c *netClient) close() { c.tr.CloseIdleConnections() }

func (c *netClient) cookie(req *http.Request, name string) (string, bool) {
	for _, ck := range c.client.Jar.Cookies(req.URL) {
		if ck.Name == name {
			return ck.Value, true
		}
	}
	return "", false
}

func (c *netClient) do(ctx context.Context, req *http.Request) (*response, error) {
	t := &tracer{}
	req = req.WithContext(httptrace.WithClientTrace(ctx, t.trace()))
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.limit+1))
	end := time.Now()
	out := &response{Response: resp, body: body, latency: end.Sub(start), phases: t.done(end), tls: resp.TLS}
	if err != nil {
		return out, err
	}
	if int64(len(body)) > c.limit {
		return out, errTooLarge
	}
	return out, nil
}

// tracer times a request's phases. The transport calls it from its own
// goroutines, and a dial the run gave up on may report late.
type tracer struct {
	mu       sync.Mutex
	p        phases
	dnsStart time.Time
	tlsStart time.Time
	conStart time.Time
	wrote    time.Time
	first    time.Time
}

func (t *tracer) at(f func(now time.Time)) {
	now := time.Now()
	t.mu.Lock()
	f(now)
	t.mu.Unlock()
}

func (t *tracer) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { t.at(func(now time.Time) { t.dnsStart = now }) },
		DNSDone:           func(httptrace.DNSDoneInfo) { t.at(func(now time.Time) { t.p.resolve += now.Sub(t.dnsStart) }) },
		ConnectStart:      func(string, string) { t.at(func(now time.Time) { t.conStart = now }) },
		ConnectDone:       func(string, string, error) { t.at(func(now time.Time) { t.p.connect += now.Sub(t.conStart) }) },
		TLSHandshakeStart: func() { t.at(func(now time.Time) { t.tlsStart = now }) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { t.at(func(now time.Time) { t.p.tls += now.Sub(t.tlsStart) }) },
		WroteRequest:      func(httptrace.WroteRequestInfo) { t.at(func(now time.Time) { t.wrote = now }) },
		GotFirstResponseByte: func() {
			t.at(func(now time.Time) {
				t.first = now
				if !t.wrote.IsZero() {
					t.p.processing += now.Sub(t.wrote)
				}
			})
		},
	}
}

// done ends the timeline at the end of the body and returns it.
func (t *tracer) done(end time.Time) phases {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.first.IsZero() {
		t.p.transfer = end.Sub(t.first)
	}
	return t.p
}
