package http

import (
	"context"
	"crypto/tls"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// The debug trace is what /probes/<name>/run?debug=true shows; it is built
// only when the logger takes debug records.

func (r *run) logRequest(req *http.Request, bodyLen int) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	r.log.DebugContext(r.ctx, "request", "method", req.Method, "url", req.URL.Redacted(), "host", host,
		"headers", HeaderText(req.Header), "body_bytes", bodyLen, "timeout", r.timeout())
}

func logTLS(ctx context.Context, log *slog.Logger, cs tls.ConnectionState, took time.Duration, err error) {
	if err != nil {
		log.DebugContext(ctx, "tls handshake failed", "err", err, "took", took)
		return
	}
	log.DebugContext(ctx, "tls handshake", tlsprobe.LogArgs(&cs, took)...)
}

func (r *run) logResponse(resp *http.Response) {
	r.log.DebugContext(r.ctx, "response", "status", resp.Status, "proto", resp.Proto,
		"content_length", resp.ContentLength, "headers", HeaderText(resp.Header))
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

// HeaderText prints headers one per line, sorted, with the values of those
// that usually carry credentials redacted: the debug output of every kind
// that speaks HTTP.
func HeaderText(h http.Header) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(h)) {
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
