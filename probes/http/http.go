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
	"encoding/base64"
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

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// prober is everything a run needs, built once per config load so that a
// run compiles, parses and allocates as little as it can.
type prober struct {
	tmpl     *http.Request // shared read-only; each run shallow-copies it
	body     []byte
	client   *http.Client
	direct   *directTransport
	dialer   net.Dialer
	resolver *net.Resolver

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
	headerMatch    []headerMatch
	headerNotMatch []headerMatch
	limit          int64
	compression    string

	bufs  sync.Pool // *bytes.Buffer for bodies that are matched
	gzips sync.Pool // *gzip.Reader
}

type headerMatch struct {
	key          string // canonical
	re           *regexp.Regexp
	allowMissing bool
}

// New returns a prober for target, an http:// or https:// URL. It reads the
// *_file secrets and certificates now, so that a missing file shows at
// config load and not at every run. The prober also implements
// probes.Closer.
func New(target string, c *Config) (probes.Prober, error) {
	if c == nil {
		c = &Config{}
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q is not an http:// or https:// URL", target)
	}
	p := &prober{
		dialer:       net.Dialer{KeepAlive: -1}, // connections live for one request
		resolver:     net.DefaultResolver,
		ipProtocol:   c.ipProtocol(),
		ipFallback:   c.ipFallback(),
		follow:       c.followRedirects(),
		maxRedirects: c.maxRedirects(),
		failIfSSL:    c.FailIfSSL,
		failIfNotSSL: c.FailIfNotSSL,
		limit:        int64(c.BodySizeLimit),
		compression:  c.Compression,
		validStatus:  c.ValidStatusCodes,
	}
	p.bufs.New = func() any { return new(bytes.Buffer) }
	for _, v := range c.ValidHTTPVersions {
		p.validVersions = append(p.validVersions, httpVersions[v])
	}
	for _, re := range c.FailIfBodyMatchesRegexp {
		p.bodyMatch = append(p.bodyMatch, re.Regexp)
	}
	for _, re := range c.FailIfBodyNotMatchesRegexp {
		p.bodyNotMatch = append(p.bodyNotMatch, re.Regexp)
	}
	for _, m := range c.FailIfHeaderMatches {
		p.headerMatch = append(p.headerMatch, headerMatch{textproto.CanonicalMIMEHeaderKey(m.Header), m.Regexp.Regexp, m.AllowMissing})
	}
	for _, m := range c.FailIfHeaderNotMatches {
		p.headerNotMatch = append(p.headerNotMatch, headerMatch{textproto.CanonicalMIMEHeaderKey(m.Header), m.Regexp.Regexp, m.AllowMissing})
	}

	p.direct = &directTransport{dial: p.dial, proxied: c.ProxyURL != "", build: func() (*http.Transport, error) { return p.newTransport(c) }}
	// The standard transport and its TLS config take about 1 KB; a
	// plain-HTTP probe needs them only if redirected to https, so they
	// are built then. Where settings can be wrong (files, a proxy) or an
	// https target needs it anyway, it is built now, so that a problem
	// shows when the config is loaded.
	if u.Scheme == "https" || c.ProxyURL != "" || c.TLSConfig != (TLSConfig{}) {
		if _, err := p.direct.standard(); err != nil {
			return nil, err
		}
	}
	p.client = &http.Client{Transport: p.direct, CheckRedirect: p.checkRedirect}

	if p.body, err = requestBody(c); err != nil {
		return nil, err
	}
	req, err := http.NewRequest(c.method(), target, nil)
	if err != nil {
		return nil, err
	}
	if req.Header, err = requestHeader(c, req); err != nil {
		return nil, err
	}
	if len(p.body) > 0 {
		body := p.body
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	p.tmpl = req
	return p, nil
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

func requestHeader(c *Config, req *http.Request) (http.Header, error) {
	if len(c.Headers) == 0 && c.Compression == "" && c.BasicAuth == nil && c.BearerToken == "" && c.BearerTokenFile == "" {
		return defaultHeader, nil
	}
	h := defaultHeader.Clone()
	for k, v := range c.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		h.Set(k, v)
	}
	if c.Compression != "" && h.Get("Accept-Encoding") == "" {
		h.Set("Accept-Encoding", c.Compression)
	}
	if b := c.BasicAuth; b != nil {
		pw, err := conf.SecretFrom(b.Password, b.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("basic_auth.password_file: %w", err)
		}
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(b.Username+":"+pw.Reveal())))
	}
	if c.BearerToken != "" || c.BearerTokenFile != "" {
		tok, err := conf.SecretFrom(c.BearerToken, c.BearerTokenFile)
		if err != nil {
			return nil, fmt.Errorf("bearer_token_file: %w", err)
		}
		h.Set("Authorization", "Bearer "+tok.Reveal())
	}
	return h, nil
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
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &run{p: p, ctx: ctx, log: log, start: time.Now()}
	r.debug = log.Enabled(ctx, slog.LevelDebug)
	r.deadline, _ = ctx.Deadline()
	if r.debug {
		r.logRequest()
	}

	req := p.tmpl.WithContext(httptrace.WithClientTrace(context.WithValue(ctx, runKey{}, r), r.trace()))
	if req.GetBody != nil {
		req.Body, _ = req.GetBody()
	}
	resp, err := p.client.Do(req)
	var res probes.Result
	if err != nil {
		r.finish()
		res = r.classify(err, false)
		if resp != nil { // the response a refused redirect came with
			resp.Body.Close()
		}
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) {
			r.peerCerts = cve.UnverifiedCertificates
		}
	} else {
		res = r.check(resp)
		r.finish()
		resp.Body.Close()
		if r.bodyBuf != nil && r.bodyBuf.Cap() <= maxPooledBody {
			p.bufs.Put(r.bodyBuf)
		}
	}
	res.Duration = time.Since(r.start)
	res.Samples = r.samples(resp)
	if r.debug {
		r.logResult(res)
	}
	return res
}

// checkRedirect counts redirects and bounds them.
func (p *prober) checkRedirect(req *http.Request, via []*http.Request) error {
	if !p.follow {
		return http.ErrUseLastResponse
	}
	r := runFrom(req.Context())
	if r == nil {
		return nil
	}
	r.redirects = len(via)
	to := req.URL.String()
	for _, v := range via {
		if v.URL.String() == to && r.loopURL == "" {
			r.loopURL = req.URL.Redacted()
		}
	}
	r.logf("redirect", "to", req.URL.Redacted(), "status", req.Response.Status)
	if len(via) > p.maxRedirects {
		return &redirectError{max: p.maxRedirects, loop: r.loopURL}
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
		msg += "; redirect loop through " + e.loop
	}
	return msg
}

// maxPooledBody keeps one huge response from pinning its memory.
const maxPooledBody = 1 << 20

var errTooLarge = errors.New("body too large")
