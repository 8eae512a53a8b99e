package http

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	pconfig "github.com/prometheus/common/config"

	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// maxHeaderBytes bounds a response head (status line, headers, and every
// interim 1xx head before it), as net/http's MaxResponseHeaderBytes does:
// a target sending an endless header fails with protocol instead of
// growing the agent. Real heads are a few KB; 1 MiB leaves cookies and
// CSP headers ample room.
const maxHeaderBytes = 1 << 20

// newTransport builds the one Transport of a prober. Keep-alives are off so
// that every run (and every redirect hop) opens its own connection and its
// phases are timed for real, as blackbox_exporter does.
func (p *setup) newTransport(c *Config) (*http.Transport, error) {
	tc, err := newTLSConfig(&c.TLSConfig)
	if err != nil {
		return nil, err
	}
	t := &http.Transport{
		DialContext:            p.dial,
		TLSClientConfig:        tc,
		DisableKeepAlives:      true,
		DisableCompression:     true, // bodies are measured as sent; see compression
		ForceAttemptHTTP2:      c.enableHTTP2(),
		MaxResponseHeaderBytes: maxHeaderBytes,
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
	if c.proxied() {
		if t.Proxy, err = proxyFunc(c.ProxyURL, c.NoProxy, c.ProxyFromEnvironment); err != nil {
			return nil, err
		}
		t.ProxyConnectHeader = c.ProxyConnectHeader.header()
	}
	return t, nil
}

// proxyFunc chooses the proxy of each request as Prometheus' HTTP clients
// do (no_proxy, the environment's variables).
func proxyFunc(proxyURL ProxyURL, noProxy string, fromEnv bool) (func(*http.Request) (*url.URL, error), error) {
	pc := pconfig.ProxyConfig{NoProxy: noProxy, ProxyFromEnvironment: fromEnv}
	if proxyURL != "" {
		u, err := url.Parse(string(proxyURL))
		if err != nil {
			return nil, fmt.Errorf("proxy_url: %v", err)
		}
		pc.ProxyURL = pconfig.URL{URL: u}
	}
	return pc.Proxy(), nil
}

// newTLSConfig builds the client's TLS config with Prometheus' common
// config, which reads inline and file certificates alike and re-reads a
// client certificate's files at each handshake, so a renewed one is used
// without a reload.
func newTLSConfig(c *TLSConfig) (*tls.Config, error) {
	pc := pconfig.TLSConfig{
		CA:                 c.CA,
		CAFile:             c.CAFile,
		Cert:               c.Cert,
		CertFile:           c.CertFile,
		Key:                pconfig.Secret(c.Key.Reveal()),
		KeyFile:            c.KeyFile,
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.InsecureSkipVerify,
		MinVersion:         pconfig.TLSVersion(tlsprobe.VersionOf(c.MinVersion)),
		MaxVersion:         pconfig.TLSVersion(tlsprobe.VersionOf(c.MaxVersion)),
	}
	tc, err := pconfig.NewTLSConfig(&pc)
	if err != nil {
		return nil, fmt.Errorf("tls_config: %w", err)
	}
	return tc, nil
}

// dial resolves and connects, timing both. The transport detaches dials from
// the request's cancellation, so the run's own context is used instead: a
// target that never answers cannot keep a dial alive past the run. The
// connection's deadline is the run's too, which bounds the TLS handshake.
func (p *setup) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	r := runFrom(ctx)
	if r == nil {
		return p.dialer.DialContext(ctx, network, addr)
	}
	ctx = r.ctx
	target, proto, err := r.p.resolveAddr(r, addr)
	if err != nil {
		return nil, err
	}
	tcp := "tcp4"
	if proto == 6 {
		tcp = "tcp6"
	}
	t1 := time.Now()
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

// resolveAddr resolves the host of addr (host:port) for run r, timing the
// resolve phase, and returns ip:port and the IP version.
func (p *prober) resolveAddr(r *run, addr string) (target string, proto int, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	t0 := time.Now()
	r.resolving(t0)
	res, err := netprobe.Lookup(r.ctx, p.resolver, p.ipProtocol, p.ipFallback, host)
	t1 := time.Now()
	proto = res.Proto()
	r.resolved(t1, proto, err == nil)
	if err != nil {
		r.logf("resolve failed", "host", host, "err", err)
		return "", 0, err
	}
	if res.Literal {
		return addr, proto, nil // an address literal needs no rewriting
	}
	r.logf("resolved", "host", host, "ip", res.IP.String(), "took", t1.Sub(t0))
	return net.JoinHostPort(res.IP.String(), port), proto, nil
}
