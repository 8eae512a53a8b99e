package api

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sloagent/sloagent/probes"
	httpprobe "github.com/sloagent/sloagent/probes/http"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// step runs step i and returns the run's failure, or nil.
func (r *run) step(i int) *probes.Result {
	s := &r.p.steps[i]
	res := &r.results[i]
	res.ran = true
	start := time.Now()
	defer func() { res.duration = time.Since(start) }()

	rawURL := s.url.render(r.vars)
	where := "step " + quote(s.name) + " (" + s.method + " " + r.redact.text(redactURL(rawURL)) + ")"
	fail := func(reason, msg string) *probes.Result {
		out := probes.Fail(reason, where+": "+msg)
		return &out
	}
	req, err := http.NewRequest(s.method, rawURL, nil)
	if err == nil && req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		err = errors.New("not an http:// or https:// URL")
	}
	if err != nil {
		return fail(probes.ReasonInternal, "bad request URL: "+err.Error())
	}
	req.Header.Set("User-Agent", "sloagent")
	for _, h := range s.headers {
		req.Header.Set(h.name, h.value.render(r.vars))
	}
	if s.host != nil {
		req.Host = s.host.render(r.vars)
	}
	if body := s.body.render(r.vars); body != "" {
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
		req.Body, _ = req.GetBody()
	}
	if r.debug {
		r.logRequest(s, req)
	}

	ctx := r.ctx
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	resp, err := r.client.do(ctx, req)
	if resp != nil {
		res.status = resp.StatusCode
		r.tlsCerts(resp.tls)
	}
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return fail(probes.ReasonBodyTooLarge, "body larger than body_size_limit "+strconv.FormatInt(r.p.limit, 10)+" bytes")
		}
		if certs := tlsprobe.UnverifiedCerts(err); len(certs) > 0 {
			r.peerCerts = append(r.peerCerts, certs...)
		}
		reason, msg := r.classify(ctx, err, s.timeout, start)
		r.logf("step failed", "step", s.name, "err", r.redact.text(msg))
		return fail(reason, msg)
	}

	// Extract first, so that a secret the response carries is known
	// before the response is logged; report a failed extraction only
	// if the assertions pass.
	var extractFail *failure
	for _, e := range s.extract {
		v, f := e.apply(r, req, resp)
		if f != nil {
			if extractFail == nil {
				extractFail = f
			}
			continue
		}
		if e.secret {
			r.redact.add(v)
		}
		r.vars[e.name] = v
	}
	if r.debug {
		r.logResponse(s, resp)
	}
	if !s.status && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		return fail(probes.ReasonStatusCode, "status "+strconv.Itoa(resp.StatusCode)+", want 2xx")
	}
	for i := range s.checks {
		if f := s.checks[i].apply(r, resp); f != nil {
			return fail(f.reason, r.redact.text(f.msg))
		}
	}
	if extractFail != nil {
		return fail(extractFail.reason, r.redact.text(extractFail.msg))
	}
	res.ok = true
	return nil
}

// classify turns a failed request into a reason and a sentence.
func (r *run) classify(ctx context.Context, err error, stepTimeout time.Duration, start time.Time) (string, string) {
	var (
		dnsErr *net.DNSError
		ue     *url.Error
	)
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(r.ctx.Err(), context.Canceled):
		return probes.ReasonCanceled, "canceled"
	case r.ctx.Err() != nil:
		deadline, _ := r.ctx.Deadline()
		return probes.ReasonTimeout, "timed out after " + netprobe.Timeout(r.start, deadline) + " (the probe's timeout)"
	case ctx.Err() != nil || netprobe.IsTimeout(err):
		return probes.ReasonTimeout, "timed out after " + stepTimeout.String() + " (the step's timeout)"
	case errors.Is(err, errTooManyRedirects):
		return probes.ReasonRedirects, err.Error()
	case errors.As(err, &dnsErr):
		return probes.ReasonDNS, "lookup " + dnsErr.Name + ": " + dnsErr.Err
	}
	if msg, ok := tlsprobe.Message(err); ok {
		return probes.ReasonTLS, msg
	}
	if msg, ok := netprobe.ConnMessage(err); ok {
		return probes.ReasonConnect, msg
	}
	return probes.ReasonProtocol, err.Error()
}

func (r *run) logRequest(s *step, req *http.Request) {
	body := ""
	if req.GetBody != nil {
		b, _ := req.GetBody()
		raw, _ := io.ReadAll(b)
		body = string(raw)
	}
	r.log.DebugContext(r.ctx, "step request", "step", s.name, "method", req.Method,
		"url", r.redact.text(redactURL(req.URL.String())), "headers", r.redact.text(httpprobe.HeaderText(req.Header)),
		"body", r.redact.text(truncateBody(body)))
}

func (r *run) logResponse(s *step, resp *response) {
	args := []any{"step", s.name, "status", resp.Status, "proto", resp.Proto, "latency", resp.latency,
		"headers", r.redact.text(httpprobe.HeaderText(resp.Header)), "body", r.redact.text(truncateBody(string(resp.body)))}
	r.log.DebugContext(r.ctx, "step response", append(args, resp.phases.args()...)...)
}

func (r *run) logf(msg string, args ...any) {
	if r.debug {
		r.log.DebugContext(r.ctx, msg, args...)
	}
}

// maxLoggedBody is how much of a body the debug log shows.
const maxLoggedBody = 4 << 10

func truncateBody(s string) string {
	if len(s) <= maxLoggedBody {
		return s
	}
	return s[:maxLoggedBody] + "... (" + strconv.Itoa(len(s)) + " bytes)"
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}
