package http

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// roundTripH3 carries an https request over HTTP/3. Each run has its own
// transport, closed when the run ends, so every run opens a new QUIC
// connection and times its handshake, as every other run opens a new TCP
// connection.
func (p *setup) roundTripH3(req *http.Request) (*http.Response, error) {
	r := runFrom(req.Context())
	if r == nil {
		return nil, errors.New("an HTTP/3 request outside a run")
	}
	x := r.extra()
	if x.h3 == nil {
		x.h3 = &http3.Transport{
			TLSClientConfig:        p.h3TLS,
			QUICConfig:             &quic.Config{},
			Dial:                   p.dialQUIC,
			MaxResponseHeaderBytes: maxHeaderBytes,
			DisableCompression:     true, // bodies are measured as sent
		}
	}
	return x.h3.RoundTrip(req)
}

// dialQUIC resolves as dial does and opens a QUIC connection. UDP has no
// connect, so the connect phase is empty and the QUIC handshake, which
// is also the TLS handshake, is the tls phase.
func (p *setup) dialQUIC(ctx context.Context, addr string, tlsCfg *tls.Config, cfg *quic.Config) (*quic.Conn, error) {
	r := runFrom(ctx)
	if r == nil {
		return quic.DialAddr(ctx, addr, tlsCfg, cfg)
	}
	target, _, err := r.p.resolveAddr(r, addr)
	if err != nil {
		return nil, err
	}
	r.connected(time.Now(), target, true)
	r.tlsHandshakeStart()
	conn, err := quic.DialAddr(r.ctx, target, tlsCfg, cfg)
	var cs tls.ConnectionState
	if conn != nil {
		cs = conn.ConnectionState().TLS
	}
	r.tlsHandshakeDone(cs, err)
	if err != nil {
		r.logf("quic handshake failed", "addr", target, "err", err)
	}
	return conn, err
}
