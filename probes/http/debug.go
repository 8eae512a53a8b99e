package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sloagent/sloagent/probes"
)

// The debug trace is what /probes/<name>/run?debug=true shows; it is built
// only when the logger takes debug records.

func (r *run) logRequest(req *http.Request, bodyLen int) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	r.log.DebugContext(r.ctx, "request", "method", req.Method, "url", req.URL.Redacted(), "host", host,
		"headers", headerText(req.Header), "body_bytes", bodyLen, "timeout", r.timeout())
}

func logTLS(ctx context.Context, log *slog.Logger, cs tls.ConnectionState, took time.Duration, err error) {
	if err != nil {
		log.DebugContext(ctx, "tls handshake failed", "err", err, "took", took)
		return
	}
	args := []any{"version", tls.VersionName(cs.Version), "cipher", tls.CipherSuiteName(cs.CipherSuite),
		"alpn", cs.NegotiatedProtocol, "took", took}
	for i, c := range cs.PeerCertificates {
		args = append(args, slog.Group("cert"+strconv.Itoa(i),
			"subject", c.Subject.String(), "issuer", c.Issuer.String(),
			"names", certNames(c),
			"not_after", c.NotAfter.UTC().Format(time.RFC3339)))
	}
	log.DebugContext(ctx, "tls handshake", args...)
}

func (r *run) logResponse(resp *http.Response) {
	r.log.DebugContext(r.ctx, "response", "status", resp.Status, "proto", resp.Proto,
		"content_length", resp.ContentLength, "headers", headerText(resp.Header))
}

func (r *run) logResult(res probes.Result) {
	r.mu.Lock()
	dur := r.dur
	r.mu.Unlock()
	args := []any{"success", res.Success, "duration", res.Duration}
	if !res.Success {
		args = append(args, "reason", res.Reason)
	}
	args = append(args, "message", res.Message)
	for ph := range numPhases {
		args = append(args, phaseNames[ph], dur[ph])
	}
	r.log.DebugContext(r.ctx, "result", args...)
}

// headerText prints headers one per line, sorted, sensitive values redacted.
func headerText(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range h[k] {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(redactHeader(k, v))
		}
	}
	return b.String()
}

func certNames(c *x509.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return strings.Join(names, ",")
}
