// Package http probes HTTP and HTTPS endpoints the way blackbox_exporter's
// http prober does (status, version, TLS, header and body checks, redirects,
// address family, proxy, auth, compression, body size limit), timing each
// phase of every run on a fresh connection and naming one bounded reason
// when a run fails.
package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
)

// prober is one probe: its URL and the setup of its section. Its request
// is made at each run (which copied a template before, so nothing more is
// allocated), not kept: an http.Request is 256 bytes.
type prober struct {
	*setup
	url *url.URL // shared read-only
	// resolver is the probe's own, not the setup's, so that one probe
	// can be pointed at another DNS server without the rest.
	resolver *net.Resolver
}

// setup is everything a run needs that its section alone decides, built
// once per config load so that a run compiles, parses and allocates as
// little as it can. Probes with the same section share one setup: every
// probe a config gives no http section shares the config's one empty
// section, so at 10,000 such probes the transport, client, dialer and
// checks (about 600 bytes a probe, and 1 KB more for the standard
// transport of an https target) exist once. Nothing changes a setup
// once built.
type setup struct {
	body      []byte
	getBody   func() (io.ReadCloser, error) // nil without a body
	method    string
	header    http.Header       // every request's, shared read-only
	host      string            // the Host header's, if set
	transport http.RoundTripper // direct, wrapped for OAuth2 when set
	client    http.Client       // each run copies it and adds its cookie jar
	direct    *directTransport
	dialer    net.Dialer
	h3TLS     *tls.Config // HTTP/3's, when enabled

	ipProtocol   string
	ipFallback   bool
	follow       bool
	maxRedirects int

	validStatus    []int // nil means any 2xx
	validVersions  []string
	failIfSSL      bool
	failIfNotSSL   bool
	bodyMatch      []*regexp.Regexp
	bodyNotMatch   []*regexp.Regexp
	celMatch       *CEL
	celNotMatch    *CEL
	headerMatch    []headerMatch
	headerNotMatch []headerMatch
	limit          int64 // of the decoded body; 0 means none
	keptMax        int64 // of a body kept for checks when there is no limit
	compression    string

	bufs  sync.Pool // *[]byte for bodies that are matched
	gzips sync.Pool // *gzip.Reader
}

type headerMatch struct {
	key          string // canonical
	re           *regexp.Regexp
	allowMissing bool
}

// New returns a prober for target, an http:// or https:// URL or a bare
// host:port (see NormalizeTarget). It reads the *_file secrets and
// certificates now, so that a missing file shows at config load and not
// at every run. The prober also implements probes.Closer.
func New(target string, c *Config) (probes.Prober, error) {
	if target == "" {
		return nil, errors.New("missing target URL")
	}
	return build(target, c)
}

// build makes the prober of target, or with target "" one without a
// request of its own, for a Client.
func build(target string, c *Config) (*prober, error) {
	if c == nil {
		c = &Config{}
	}
	https := true // a Client's requests may go anywhere
	if target != "" {
		var err error
		if target, err = NormalizeTarget(target, c); err != nil {
			return nil, err
		}
		https = strings.HasPrefix(target, "https:")
	}
	s := c.built.Load()
	if s == nil {
		var err error
		if s, err = newSetup(c); err != nil {
			return nil, err
		}
		if !c.built.CompareAndSwap(nil, s) {
			s = c.built.Load()
		}
	}
	// The standard transport and its TLS config take about 1 KB; a
	// plain-HTTP probe needs them only if redirected to https, so they
	// are built then. Where settings can be wrong (files, a proxy) or an
	// https target needs it anyway, it is built now, so that a problem
	// shows when the config is loaded.
	if https || c.proxied() || c.TLSConfig != (TLSConfig{}) {
		if _, err := s.direct.standard(); err != nil {
			return nil, err
		}
	}
	if target == "" {
		target = "http://client.invalid/" // only carries the config's header
	}
	req, err := http.NewRequest(s.method, target, nil)
	if err != nil {
		return nil, err
	}
	return &prober{setup: s, url: req.URL, resolver: net.DefaultResolver}, nil
}

// probeRequest is the probe's request, as http.NewRequest would make it.
func (p *prober) probeRequest() http.Request {
	req := http.Request{
		Method: p.method, URL: p.url, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: p.header, Host: strings.TrimSuffix(p.url.Host, ":"),
	}
	if p.host != "" {
		req.Host = p.host
	}
	if p.getBody != nil {
		req.ContentLength = int64(len(p.body))
		req.GetBody = p.getBody
	}
	return req
}

// newSetup builds the setup of section c, reading its files.
func newSetup(c *Config) (*setup, error) {
	s := &setup{
		method:       c.method(),
		dialer:       net.Dialer{KeepAlive: -1}, // connections live for one request
		ipProtocol:   c.ipProtocol(),
		ipFallback:   c.ipFallback(),
		follow:       c.followRedirects(),
		maxRedirects: c.maxRedirects(),
		failIfSSL:    c.FailIfSSL,
		failIfNotSSL: c.FailIfNotSSL,
		limit:        c.bodyLimit(),
		keptMax:      maxKeptBody,
		compression:  c.Compression,
		validStatus:  c.ValidStatusCodes,
		celMatch:     c.FailIfBodyJSONMatchesCEL,
		celNotMatch:  c.FailIfBodyJSONNotMatchesCEL,
	}
	s.bufs.New = func() any { return new([]byte) }
	for _, v := range c.ValidHTTPVersions {
		s.validVersions = append(s.validVersions, httpVersions[v])
	}
	for _, re := range c.FailIfBodyMatchesRegexp {
		s.bodyMatch = append(s.bodyMatch, re.Regexp)
	}
	for _, re := range c.FailIfBodyNotMatchesRegexp {
		s.bodyNotMatch = append(s.bodyNotMatch, re.Regexp)
	}
	for _, m := range c.FailIfHeaderMatches {
		s.headerMatch = append(s.headerMatch, headerMatch{textproto.CanonicalMIMEHeaderKey(m.Header), m.Regexp.Regexp, m.AllowMissing})
	}
	for _, m := range c.FailIfHeaderNotMatches {
		s.headerNotMatch = append(s.headerNotMatch, headerMatch{textproto.CanonicalMIMEHeaderKey(m.Header), m.Regexp.Regexp, m.AllowMissing})
	}

	s.direct = &directTransport{dial: s.dial, proxied: c.proxied(), build: func() (*http.Transport, error) { return s.newTransport(c) }}
	stampsOn() // now, so that the kernel stamps the responses of the first runs
	if c.TLSConfig.ServerName == "" {
		s.direct.serverName = hostHeaderName(c.Headers)
	}
	var err error
	if c.EnableHTTP3 {
		if s.h3TLS, err = newTLSConfig(&c.TLSConfig); err != nil {
			return nil, err
		}
		// QUIC has no TLS below 1.3.
		s.h3TLS.MinVersion = max(s.h3TLS.MinVersion, tls.VersionTLS13)
		s.direct.h3 = s.roundTripH3
	}
	s.transport = s.direct
	if credsFromFiles(c) {
		// Read now too, so that a missing file shows when the config
		// is loaded.
		if _, err := authHeader(c); err != nil {
			return nil, err
		}
		s.transport = &fileAuthTransport{next: s.direct, c: c}
	}
	if c.OAuth2 != nil {
		if s.transport, err = newOAuth2Transport(c.OAuth2, s.direct); err != nil {
			return nil, err
		}
	}
	// Built once: a method value is an allocation.
	s.client = http.Client{Transport: s.transport, CheckRedirect: s.checkRedirect}

	if s.body, err = requestBody(c); err != nil {
		return nil, err
	}
	if len(s.body) > 0 {
		body := s.body
		s.getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	if s.header, s.host, err = requestHeader(c); err != nil {
		return nil, err
	}
	return s, nil
}

func requestBody(c *Config) ([]byte, error) {
	if c.BodyFile == "" {
		return []byte(c.Body), nil
	}
	b, err := os.ReadFile(c.BodyFile)
	if err != nil {
		return nil, fmt.Errorf("body_file: %w", err)
	}
	return b, nil
}

// defaultHeader is the request header of every probe that adds nothing to
// it, shared rather than a map per probe. Nothing changes a request's
// header once built: net/http copies it before adding to it.
var defaultHeader = http.Header{"User-Agent": {UserAgent}}

// requestHeader returns the header of c's requests, and the host its Host
// header sets. Credentials read from files are added at each run instead.
func requestHeader(c *Config) (h http.Header, host string, err error) {
	auth := ""
	if !credsFromFiles(c) {
		if auth, err = authHeader(c); err != nil {
			return nil, "", err
		}
	}
	if len(c.Headers) == 0 && c.Compression == "" && auth == "" {
		return defaultHeader, "", nil
	}
	h = defaultHeader.Clone()
	for k, v := range c.Headers {
		if strings.EqualFold(k, "Host") {
			host = v
			continue
		}
		h.Set(k, v)
	}
	if c.Compression != "" && h.Get("Accept-Encoding") == "" {
		h.Set("Accept-Encoding", c.Compression)
	}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return h, host, nil
}

// Close drops the standard transport's connections (there are none between
// runs, but an abandoned dial may have finished late).
func (p *prober) Close() error {
	if t := p.direct.std.Load(); t != nil {
		t.CloseIdleConnections()
	}
	return nil
}

// Probe runs one request (following redirects) and checks the response.
func (p *prober) Probe(ctx context.Context, log *slog.Logger) probes.Result {
	r := p.newRun(ctx, log)
	defer r.release()
	req := p.probeRequest()
	if r.debug {
		r.logRequest(&req, len(p.body))
	}
	resp, err := r.roundTrip(&req)
	var res probes.Result
	if err != nil {
		r.finish()
		res = r.classify(err, false)
		res.Duration = time.Since(r.start)
	} else {
		res = r.check(resp)
		end := time.Now()
		if res.Reason != probes.ReasonTimeout { // a body cut off by the deadline ends at it
			end = r.arrived(end)
		}
		r.finishAt(end)
		res.Duration = end.Sub(r.start)
	}
	res.Samples = r.samples(r.final)
	if r.debug {
		r.logResult(res)
	}
	return res
}

// arrived is when the run's response was complete: when the kernel
// received the last of it that the run read (see rxClock), or now where
// that is not known. A time outside the run (the wall clock was set
// meanwhile) is not used.
func (r *run) arrived(now time.Time) time.Time {
	r.mu.Lock()
	rx := r.rx
	r.mu.Unlock()
	if rx == nil {
		return now
	}
	at, ok := rx.received()
	if !ok || at.Before(r.start) || at.After(now) {
		return now
	}
	return at
}

func (p *prober) newRun(ctx context.Context, log *slog.Logger) *run {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &run{p: p, ctx: ctx, log: log, start: time.Now()}
	r.debug = log.Enabled(ctx, slog.LevelDebug)
	r.deadline, _ = ctx.Deadline()
	return r
}

// roundTrip sends tmpl (a copy with the run's context) and follows
// redirects, with a cookie jar of the run's own so that cookies set on
// the way travel with the next hop. On failure the response is closed.
func (r *run) roundTrip(tmpl *http.Request) (*http.Response, error) {
	p := r.p
	r.client = p.client
	r.client.Jar = &r.ownJar
	if r.rare != nil && r.rare.jar != nil {
		r.client.Jar = r.rare.jar
	}
	r.first = tmpl.URL
	req := tmpl.WithContext(httptrace.WithClientTrace(context.WithValue(r.ctx, runKey{}, r), r.trace()))
	if req.GetBody != nil {
		req.Body, _ = req.GetBody()
	}
	resp, err := r.client.Do(req)
	if err != nil {
		if resp != nil { // the response a refused redirect came with
			resp.Body.Close()
			r.final, r.finalClosed = resp, true
		}
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) {
			r.extra().peerCerts = cve.UnverifiedCertificates
		}
		return nil, err
	}
	r.final = resp
	return resp, nil
}

// release ends what the run holds: the body of its response, its pooled
// buffer and an HTTP/3 transport.
func (r *run) release() {
	if r.final != nil && !r.finalClosed {
		r.final.Body.Close()
	}
	if r.bodyp != nil && cap(*r.bodyp) <= maxPooledBody {
		*r.bodyp = (*r.bodyp)[:0]
		r.p.bufs.Put(r.bodyp)
	}
	r.bodyp = nil
	if r.rare != nil && r.rare.h3 != nil {
		r.rare.h3.Close()
	}
}

// checkRedirect counts redirects and bounds them. A redirect that is not
// followed counts too, as blackbox_exporter counts it.
func (p *setup) checkRedirect(req *http.Request, via []*http.Request) error {
	r := runFrom(req.Context())
	if r == nil {
		return nil
	}
	r.redirects = len(via)
	if !p.follow {
		r.unfollowed = true
		return http.ErrUseLastResponse
	}
	to := req.URL.String()
	for _, v := range via {
		if v.URL.String() == to && r.extra().loopURL == "" {
			r.rare.loopURL = req.URL.Redacted()
		}
	}
	r.logf("redirect", "to", req.URL.Redacted(), "status", req.Response.Status)
	if len(via) > p.maxRedirects {
		e := &redirectError{max: p.maxRedirects}
		if r.rare != nil {
			e.loop = r.rare.loopURL
		}
		return e
	}
	return nil
}

type redirectError struct {
	max  int
	loop string
}

func (e *redirectError) Error() string {
	msg := fmt.Sprintf("more than %d redirects (max_redirects)", e.max)
	if e.loop != "" {
		msg += "; redirect loop through " + netprobe.Clip(e.loop)
	}
	return msg
}

// maxPooledBody keeps one huge response from pinning its memory.
const maxPooledBody = 1 << 20
