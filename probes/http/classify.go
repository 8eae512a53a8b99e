package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sloagent/sloagent/probes"
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
	case errors.Is(ctxErr, context.DeadlineExceeded), isTimeout(err):
		return probes.Fail(probes.ReasonTimeout, "timed out after "+r.timeout()+where)
	}

	var (
		redirErr *redirectError
		resErr   *resolveError
		dnsErr   *net.DNSError
		large    *tooLargeError
	)
	switch {
	case errors.As(err, &redirErr):
		return probes.Fail(probes.ReasonRedirects, redirErr.Error())
	case tokErr != nil:
		return probes.Fail(ReasonAuth, tokErr.Error())
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

// timeout is how long the run had, as configured: the caller set the
// deadline a moment before the run started, so round up (2s, not 1.99987s).
func (r *run) timeout() string {
	if r.deadline.IsZero() {
		return time.Since(r.start).Round(time.Millisecond).String()
	}
	d := r.deadline.Sub(r.start)
	var step time.Duration
	switch {
	case d <= 0:
		return "0s"
	case d < 100*time.Millisecond:
		step = 5 * time.Millisecond
	case d < time.Second:
		step = 50 * time.Millisecond
	case d < 10*time.Second:
		step = 100 * time.Millisecond
	default:
		step = time.Second
	}
	return ((d + step - 1) / step * step).String()
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// tlsMessage says what was wrong with the certificate or handshake.
func tlsMessage(err error) (string, bool) {
	var (
		invalid  x509.CertificateInvalidError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		ralert   *tls.AlertError
		op       *net.OpError
	)
	switch {
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired && invalid.Cert != nil {
			now := time.Now()
			if now.Before(invalid.Cert.NotBefore) {
				return "certificate " + certName(invalid.Cert) + " is not valid before " + invalid.Cert.NotBefore.UTC().Format(time.RFC3339), true
			}
			return "certificate " + certName(invalid.Cert) + " expired " + invalid.Cert.NotAfter.UTC().Format(time.RFC3339), true
		}
		return "invalid certificate: " + invalid.Error(), true
	case errors.As(err, &unknown):
		msg := "certificate signed by unknown authority"
		if unknown.Cert != nil {
			msg += " (" + certName(unknown.Cert) + " issued by " + unknown.Cert.Issuer.String() + ")"
		}
		return msg, true
	case errors.As(err, &hostname):
		return hostnameMessage(hostname), true
	case errors.As(err, &verify):
		return "certificate verification failed: " + verify.Err.Error(), true
	case errors.As(err, &record):
		if strings.Contains(err.Error(), "HTTP response to HTTPS") {
			return "server answered TLS with plain HTTP", true
		}
		return "TLS handshake failed: " + record.Error(), true
	case errors.As(err, &alert), errors.As(err, &ralert):
		return "TLS handshake failed: " + errText(err), true
	case errors.As(err, &op) && op.Op == "remote error":
		// A TLS 1.3 server checks the client's certificate after the
		// handshake, so its alert arrives with the response.
		return "TLS alert from the server: " + strings.TrimPrefix(op.Err.Error(), "tls: "), true
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "server answered TLS with plain HTTP", true
	}
	return "", false
}

func hostnameMessage(e x509.HostnameError) string {
	if e.Certificate == nil {
		return e.Error()
	}
	valid := certNames(e.Certificate)
	if valid == "" {
		valid = "no names"
	}
	return "certificate " + certName(e.Certificate) + " is not valid for " + e.Host + " (valid for " + valid + ")"
}

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	return c.Subject.String()
}

// connMessage describes a failure of the connection itself.
func connMessage(err error) (string, bool) {
	var op *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		if errors.As(err, &op) && op.Addr != nil {
			return "connection to " + op.Addr.String() + " refused", true
		}
		return "connection refused", true
	case isReset(err):
		return "connection reset by peer", true
	case errors.Is(err, syscall.EPIPE):
		return "connection closed by peer (broken pipe)", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return errText(err), true
	case errors.Is(err, io.EOF):
		// Transport reports a connection closed before any response as EOF.
		return "connection closed by peer before a response", true
	case errors.As(err, &op) && op.Op == "dial":
		return errText(err), true
	}
	return "", false
}

// errText is the error without the "Get "url": " wrapping the client adds.
func errText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return strings.TrimPrefix(err.Error(), "net/http: HTTP/1.x transport connection broken: ")
}
