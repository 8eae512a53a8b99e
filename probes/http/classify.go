package http

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// classify turns a failed request into one bounded reason and a sentence.
// The order matters: a deadline wins over whatever error the cut-short
// operation reported, and the phase the run was in decides between tls,
// connect and protocol when the error itself does not.
//
// Connection-level failures (refused, reset, closed by the peer) are
// "connect" in any phase, with the phase named in the message; "protocol"
// is a response that broke HTTP's rules (garbage instead of a status line,
// bad chunking, a body shorter than its Content-Length, bad compression).
//
// head tells whether the response head had arrived: the transfer phase
// starts at its first byte, so a failure in it may still be in the head.
func (r *run) classify(err error, head bool) probes.Result {
	r.mu.Lock()
	ph := r.phase
	r.mu.Unlock()
	doing := phaseDoing[ph]
	if ph == phaseTransfer && !head {
		doing = "reading the response head"
	}
	where := " while " + doing + " (" + ph.String() + " phase)"
	var tokErr *tokenError
	if errors.As(err, &tokErr) {
		where = " while requesting the OAuth2 token"
	}

	ctxErr := r.ctx.Err()
	switch {
	case errors.Is(ctxErr, context.Canceled):
		return probes.Fail(probes.ReasonCanceled, "canceled"+where)
	case errors.Is(ctxErr, context.DeadlineExceeded), netprobe.IsTimeout(err):
		return probes.Fail(probes.ReasonTimeout, "timed out after "+r.timeout()+where)
	}

	var (
		redirErr *redirectError
		resErr   *netprobe.ResolveError
		dnsErr   *net.DNSError
		large    *tooLargeError
		credErr  *credsError
	)
	switch {
	case errors.As(err, &redirErr):
		return probes.Fail(probes.ReasonRedirects, redirErr.Error())
	case tokErr != nil:
		return probes.Fail(ReasonAuth, tokErr.Error())
	case errors.As(err, &credErr):
		return probes.Fail(probes.ReasonConfig, credErr.Error())
	case errors.As(err, &resErr):
		return probes.Fail(probes.ReasonDNS, resErr.Error())
	case errors.As(err, &dnsErr):
		return probes.Fail(probes.ReasonDNS, "lookup "+dnsErr.Name+": "+dnsErr.Err)
	case errors.As(err, &large):
		msg := large.Error()
		if r.final != nil && r.final.ContentLength > large.limit && r.p.compression == "" {
			msg += " (Content-Length " + strconv.FormatInt(r.final.ContentLength, 10) + ")"
		}
		return probes.Fail(probes.ReasonBodyTooLarge, msg)
	case errors.Is(err, errHeadTooLarge), errors.Is(err, errTooManyInterim):
		return probes.Fail(probes.ReasonProtocol, errText(err)+where)
	case strings.Contains(err.Error(), "server response headers exceeded"):
		// The standard transport's (https, proxies) own limit.
		return probes.Fail(probes.ReasonProtocol, errHeadTooLarge.Error()+where)
	}
	if !head {
		if text := errText(err); text == h2Compression || text == h2Protocol {
			// net/http's HTTP/2 client says no more when a
			// response head is over its limit: COMPRESSION_ERROR
			// for one long header, PROTOCOL_ERROR for many.
			return probes.Fail(probes.ReasonProtocol, "HTTP/2 response head larger than "+conf.ByteSize(maxHeaderBytes).String()+
				" or malformed ("+text+")"+where)
		}
	}
	if msg, ok := tlsMessage(err); ok {
		return probes.Fail(probes.ReasonTLS, msg)
	}
	if ph == phaseTLS {
		return probes.Fail(probes.ReasonTLS, "TLS handshake failed: "+errText(err))
	}
	if msg, ok := connMessage(err); ok {
		return probes.Fail(probes.ReasonConnect, msg+where)
	}
	if ph <= phaseConnect {
		return probes.Fail(probes.ReasonConnect, errText(err)+where)
	}
	return probes.Fail(probes.ReasonProtocol, errText(err)+where)
}

// timeout is how long the run had, as configured.
func (r *run) timeout() string { return netprobe.Timeout(r.start, r.deadline) }

// tlsMessage is the shared sentence for a TLS failure, with the one a
// transport gives for an https:// URL that a plain HTTP server answered.
func tlsMessage(err error) (string, bool) {
	var record tls.RecordHeaderError
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") ||
		errors.As(err, &record) && strings.Contains(err.Error(), "HTTP response to HTTPS") {
		return "server answered TLS with plain HTTP", true
	}
	return tlsprobe.Message(err)
}

// connMessage is the shared sentence for a failed connection. A body cut
// short (an unexpected end of file) breaks HTTP's framing: it is a
// protocol failure, not one of the connection.
func connMessage(err error) (string, bool) {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "", false
	}
	msg, ok := netprobe.ConnMessage(err)
	if msg == netprobe.ClosedByPeer {
		// The transport reports a connection closed before any
		// response as EOF.
		msg = netprobe.ClosedByPeer + " before a response"
	}
	return msg, ok
}

func errText(err error) string { return netprobe.Text(err) }

// The errors of net/http's HTTP/2 client for a response head it could not
// decode, as its framer found them (a GOAWAY from the server says more).
const (
	h2Compression = "connection error: COMPRESSION_ERROR"
	h2Protocol    = "connection error: PROTOCOL_ERROR"
)
