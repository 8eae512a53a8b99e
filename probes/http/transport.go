package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// newTransport builds the one Transport of a prober. Keep-alives are off so
// that every run (and every redirect hop) opens its own connection and its
// phases are timed for real, as blackbox_exporter does.
func (p *prober) newTransport(c *Config) (*http.Transport, error) {
	tc, err := newTLSConfig(&c.TLSConfig)
	if err != nil {
		return nil, err
	}
	t := &http.Transport{
		DialContext:        p.dial,
		TLSClientConfig:    tc,
		DisableKeepAlives:  true,
		DisableCompression: true, // bodies are measured as sent; see compression
		ForceAttemptHTTP2:  c.enableHTTP2(),
		// Every run opens a connection and so a write buffer, 4 KB by
		// default: 40% of the bytes a run allocated. A request head is
		// a few hundred bytes; a longer request is flushed in parts.
		WriteBufferSize: 1 << 10,
		// No TLSHandshakeTimeout or ResponseHeaderTimeout: the run's
		// deadline, set on the connection by dial, bounds every phase.
	}
	if !c.enableHTTP2() {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	if c.ProxyURL != "" {
		u, err := url.Parse(string(c.ProxyURL))
		if err != nil {
			return nil, fmt.Errorf("proxy_url: %v", err)
		}
		t.Proxy = http.ProxyURL(u)
	}
	return t, nil
}

func newTLSConfig(c *TLSConfig) (*tls.Config, error) {
	tc := &tls.Config{
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.InsecureSkipVerify,
		MinVersion:         tlsVersions[c.MinVersion],
		MaxVersion:         tlsVersions[c.MaxVersion],
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_config.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_config.ca_file: no PEM certificate in %s", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" || c.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls_config: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// dial resolves and connects, timing both. The transport detaches dials from
// the request's cancellation, so the run's own context is used instead: a
// target that never answers cannot keep a dial alive past the run. The
// connection's deadline is the run's too, which bounds the TLS handshake.
func (p *prober) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	r := runFrom(ctx)
	if r == nil {
		return p.dialer.DialContext(ctx, network, addr)
	}
	ctx = r.ctx
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	r.resolving(t0)
	ip, literal, err := p.resolve(ctx, host)
	t1 := time.Now()
	proto := 4
	if ip.To4() == nil {
		proto = 6
	}
	r.resolved(t1, proto, err == nil)
	if err != nil {
		r.logf("resolve failed", "host", host, "err", err)
		return nil, err
	}
	target := addr // an address literal needs no rewriting
	if !literal {
		target = net.JoinHostPort(ip.String(), port)
		r.logf("resolved", "host", host, "ip", ip.String(), "took", t1.Sub(t0))
	}
	tcp := "tcp4"
	if proto == 6 {
		tcp = "tcp6"
	}
	conn, err := p.dialer.DialContext(ctx, tcp, target)
	t2 := time.Now()
	r.connected(t2, target, err == nil)
	took := t2.Sub(t1)
	if err != nil {
		r.logf("connect failed", "addr", target, "err", err)
		return nil, err
	}
	r.logf("connected", "addr", target, "local", conn.LocalAddr().String(), "took", took)
	if !r.deadline.IsZero() {
		if err := conn.SetDeadline(r.deadline); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// resolve picks one address of host, of the preferred family when it has
// one, as blackbox_exporter does: the probe measures one path, not the
// dialer's racing of several.
func (p *prober) resolve(ctx context.Context, host string) (ip net.IP, literal bool, err error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip, true, nil
	}
	first, second := "ip4", "ip6"
	if p.ipProtocol == "ip6" {
		first, second = second, first
	}
	ips, err := p.resolver.LookupIP(ctx, first, host)
	if err == nil && len(ips) > 0 {
		return ips[0], false, nil
	}
	if !p.ipFallback || ctx.Err() != nil {
		return nil, false, &resolveError{host: host, family: first, err: err}
	}
	ips, err2 := p.resolver.LookupIP(ctx, second, host)
	if err2 == nil && len(ips) > 0 {
		return ips[0], false, nil
	}
	if err == nil {
		err = err2
	}
	return nil, false, &resolveError{host: host, err: err}
}

// resolveError is a failed lookup; family is set when only one was allowed.
type resolveError struct {
	host   string
	family string
	err    error
}

func (e *resolveError) Error() string {
	msg := "no address"
	if de, ok := e.err.(*net.DNSError); ok {
		msg = de.Err
	} else if e.err != nil {
		msg = e.err.Error()
	}
	if e.family != "" {
		return fmt.Sprintf("lookup %s: %s (%s only)", e.host, msg, e.family)
	}
	return fmt.Sprintf("lookup %s: %s", e.host, msg)
}

func (e *resolveError) Unwrap() error { return e.err }
