package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Client sends single HTTP requests the way an HTTP probe does: the same
// transport (a new connection per request), address family, TLS, proxy,
// credentials (OAuth2 included), redirect policy, compression, body size
// limit and phase timing, from the same Config. It is for kinds that make
// several requests in one run, such as multi-step API checks. It runs none
// of the probe's checks (status codes, versions, regexes, CEL): the caller
// checks the Response.
//
// A Client is safe for concurrent use; Close it when its config is
// replaced.
type Client struct {
	p *prober
}

// NewClient builds a client from an http section, validated as for a
// probe. Files (credentials, certificates, body_file) are read now; the
// section's method, body and headers are the defaults of every Request.
func NewClient(c *Config) (*Client, error) {
	p, err := build("", c)
	if err != nil {
		return nil, err
	}
	return &Client{p: p}, nil
}

// Close releases the client's idle resources.
func (c *Client) Close() error { return c.p.Close() }

// Request is one request of a Client.
type Request struct {
	// Method is the config's method when empty.
	Method string
	// URL is an http:// or https:// URL or a bare host:port, as a
	// probe's target.
	URL string
	// Header is added to the config's headers (User-Agent, credentials,
	// Accept-Encoding), replacing those it names; Host sets the host.
	Header http.Header
	// Body is the config's body when nil.
	Body []byte
	// Jar keeps cookies across requests, the steps of one run; when nil
	// the request has a jar of its own, for its redirects.
	Jar http.CookieJar
}

// Exchange is the outcome of one request.
type Exchange struct {
	// Response is the final response (after redirects), or nil when
	// none came. It is set on some failures too: a refused redirect, a
	// body too large or cut short.
	Response *Response
	// Phases are the request's phase durations, summed over redirects.
	Phases Phases
	// Redirects counts the redirects, a refused one included.
	Redirects int
	// Duration is the whole request's, from sending to the body's end.
	Duration time.Duration
	// Failure is nil when a response came and its body was read.
	Failure *Failure
	// UnverifiedCerts are the server's certificates when the TLS
	// handshake failed to verify them, for their expiry.
	UnverifiedCerts []*x509.Certificate
}

// Response is a response and its body.
type Response struct {
	StatusCode int
	Status     string // "200 OK"
	Proto      string // HTTP/1.1, HTTP/2.0, HTTP/3.0
	Header     http.Header
	// Body is decoded as the config's compression says, and holds at
	// most the body size limit (or 64 MiB when there is none).
	Body []byte
	// BodyLength is the decoded body's length as a probe reports it in
	// probe_http_uncompressed_body_length.
	BodyLength int64
	// ContentLength is the Content-Length header's, -1 when unknown.
	ContentLength int64
	// TLS is the connection's state, nil over plain HTTP.
	TLS *tls.ConnectionState
	// URL is the final one, after redirects.
	URL *url.URL
	// Addr is the address connected to, ip:port.
	Addr string
}

// Phases are the durations of blackbox_exporter's phases of a request.
type Phases struct {
	Resolve, Connect, TLS, Processing, Transfer time.Duration
}

// Failure is why a request failed: a bounded reason (dns, connect, tls,
// timeout, protocol, redirects, body_too_large, auth, canceled) and a
// sentence naming the phase.
type Failure struct {
	Reason  string
	Message string
}

func (f *Failure) Error() string { return f.Reason + ": " + f.Message }

// Do sends req and reads the whole response body, within ctx's deadline.
// The error is for a request that cannot be made (a bad URL or header);
// everything the target does is in the Exchange. log takes the same
// debug trace as a probe's run.
func (c *Client) Do(ctx context.Context, in Request, log *slog.Logger) (Exchange, error) {
	p := c.p
	req, err := p.request(in)
	if err != nil {
		return Exchange{}, err
	}
	r := p.newRun(ctx, log)
	if in.Jar != nil {
		r.extra().jar = in.Jar
	}
	defer r.release()
	if r.debug {
		r.logRequest(req, int(req.ContentLength))
	}
	var fail *Failure
	resp, err := r.roundTrip(req)
	if err == nil {
		if r.debug {
			r.logResponse(resp)
		}
		err = r.readBody(resp, true)
		if err != nil {
			res := r.classify(err, true)
			fail = &Failure{Reason: res.Reason, Message: res.Message}
		}
	} else {
		res := r.classify(err, false)
		fail = &Failure{Reason: res.Reason, Message: res.Message}
	}
	r.finish()
	ex := Exchange{Redirects: r.redirects, Duration: time.Since(r.start), Failure: fail}
	r.mu.Lock()
	ex.Phases = Phases{r.dur[phaseResolve], r.dur[phaseConnect], r.dur[phaseTLS], r.dur[phaseProcessing], r.dur[phaseTransfer]}
	addr := r.addr
	r.mu.Unlock()
	if r.rare != nil {
		ex.UnverifiedCerts = r.rare.peerCerts
	}
	if f := r.final; f != nil {
		ex.Response = &Response{StatusCode: f.StatusCode, Status: f.Status, Proto: f.Proto, Header: f.Header,
			BodyLength: r.bodyLen, ContentLength: f.ContentLength, TLS: f.TLS, URL: f.Request.URL, Addr: addr}
		if r.bodyp != nil {
			ex.Response.Body = *r.bodyp
			r.bodyp = nil // the caller's now: not pooled
		}
	}
	if r.debug {
		r.logExchange(ex)
	}
	return ex, nil
}

// request builds the http.Request of in on the config's defaults.
func (p *prober) request(in Request) (*http.Request, error) {
	target, err := NormalizeTarget(in.URL, nil)
	if err != nil {
		return nil, err
	}
	if p.h3TLS != nil {
		target = "https:" + strings.TrimPrefix(strings.TrimPrefix(target, "http:"), "https:")
	}
	method := in.Method
	if method == "" {
		method = p.method
	}
	body := in.Body
	if body == nil {
		body = p.body
	}
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		return nil, err
	}
	if p.host != "" {
		req.Host = p.host // the config's Host header
	}
	req.Header = p.header
	if len(in.Header) > 0 {
		req.Header = p.header.Clone()
		for k, vs := range in.Header {
			// The standard transport refuses these; the direct one
			// would write them as they are, a NUL and all, or turn
			// a CR or LF into a space.
			if !httpguts.ValidHeaderFieldName(k) {
				return nil, fmt.Errorf("invalid header name %q", k)
			}
			for _, v := range vs {
				if !httpguts.ValidHeaderFieldValue(v) {
					return nil, fmt.Errorf("invalid value of header %s: control characters are not allowed", k)
				}
			}
			if strings.EqualFold(k, "Host") {
				if len(vs) > 0 {
					req.Host = vs[0]
				}
				continue
			}
			req.Header[http.CanonicalHeaderKey(k)] = vs
		}
	}
	if len(body) > 0 {
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return req, nil
}

func (r *run) logExchange(ex Exchange) {
	args := []any{"duration", ex.Duration, "redirects", ex.Redirects}
	if ex.Failure != nil {
		args = append(args, "reason", ex.Failure.Reason, "message", ex.Failure.Message)
	}
	if ex.Response != nil {
		args = append(args, "status", ex.Response.StatusCode, "body_bytes", ex.Response.BodyLength)
	}
	r.log.DebugContext(r.ctx, "result", append(args, "phases", fmt.Sprintf("%+v", ex.Phases))...)
}
