package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sloagent/sloagent/internal/clip"
	"github.com/sloagent/sloagent/probes"
	httpprobe "github.com/sloagent/sloagent/probes/http"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
)

// step runs step i and returns the run's failure, or nil.
func (r *run) step(i int) *probes.Result {
	s := &r.p.steps[i]
	res := &r.results[i]
	res.ran = true
	start := time.Now()
	defer func() { res.duration = time.Since(start) }()

	rawURL := s.url.render(r.vars)
	where := "step " + quote(s.name) + " (" + s.method + " " + redactURL(rawURL) + ")"
	fail := func(reason, msg string) *probes.Result {
		out := probes.Fail(reason, r.safe(where+": "+msg))
		return &out
	}
	u, err := url.Parse(rawURL)
	if err == nil && u.Scheme != "http" && u.Scheme != "https" {
		err = errors.New("not an http:// or https:// URL")
	}
	if err != nil {
		return fail(probes.ReasonInternal, "bad request URL: "+err.Error())
	}
	req := httpprobe.Request{Method: s.method, URL: rawURL, Header: http.Header{"User-Agent": {httpprobe.UserAgent}}, Jar: r.jar}
	for _, h := range s.headers {
		req.Header.Set(h.name, h.value.render(r.vars))
	}
	if s.host != nil {
		req.Header.Set("Host", s.host.render(r.vars))
	}
	if body := s.body.render(r.vars); body != "" {
		req.Body = []byte(body)
	}
	if r.debug {
		r.logRequest(s, u, &req)
	}

	ctx := r.ctx
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	// The client's own debug trace would show secrets: the step's
	// request and response are logged here, redacted.
	ex, err := r.p.client.Do(ctx, req, nil)
	if err != nil {
		return fail(probes.ReasonInternal, "bad request: "+err.Error())
	}
	r.peerCerts = append(r.peerCerts, ex.UnverifiedCerts...)
	if ex.Response != nil && (ex.Failure == nil || ex.Failure.Reason != probes.ReasonRedirects) {
		res.status = ex.Response.StatusCode
		r.tlsCerts(ex.Response.TLS)
	}
	if ex.Failure != nil {
		reason, msg := r.classify(ctx, ex.Failure, s.timeout)
		r.logf("step failed", "step", s.name, "err", r.redact.text(msg))
		return fail(reason, msg)
	}
	resp := &response{Response: ex.Response, latency: ex.Duration, phases: ex.Phases}

	// Extract first, so that a secret the response carries is known
	// before the response is logged; report a failed extraction only
	// if the assertions pass.
	var extractFail *failure
	for _, e := range s.extract {
		v, f := e.apply(r, u, resp)
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
			return fail(f.reason, f.msg)
		}
	}
	if extractFail != nil {
		return fail(extractFail.reason, extractFail.msg)
	}
	res.ok = true
	return nil
}

// classify names a failed request's reason and sentence: the client's,
// but for what only the run knows (which deadline ended it) and the
// section's own words for its redirect limit (it has no max_redirects
// key). body_size_limit means what it means in the http kind, and the
// client's words for it stand.
func (r *run) classify(ctx context.Context, f *httpprobe.Failure, stepTimeout time.Duration) (string, string) {
	// The client bounds its connection by ctx's deadline too, so a
	// timeout may show before ctx says it is done: whose deadline it was
	// is told by the deadlines themselves.
	probeDeadline, probeBound := r.ctx.Deadline()
	stepDeadline, _ := ctx.Deadline()
	timedOut := ctx.Err() != nil || f.Reason == probes.ReasonTimeout
	switch {
	case errors.Is(r.ctx.Err(), context.Canceled):
		return probes.ReasonCanceled, "canceled"
	case r.ctx.Err() != nil || timedOut && probeBound && !stepDeadline.Before(probeDeadline):
		return probes.ReasonTimeout, "timed out after " + netprobe.Timeout(r.start, probeDeadline) + " (the probe's timeout)"
	case timedOut:
		return probes.ReasonTimeout, "timed out after " + stepTimeout.String() + " (the step's timeout)"
	case f.Reason == probes.ReasonRedirects:
		return f.Reason, "more than " + strconv.Itoa(MaxRedirects) + " redirects"
	}
	return f.Reason, f.Message
}

// safe is text for a step's failure message, which may quote a URL or a
// value a response gave: redacted, then bounded. Cut first, a secret
// across the cut would show its start.
func (r *run) safe(s string) string { return netprobe.Clip(r.redact.text(s)) }

func (r *run) logRequest(s *step, u *url.URL, req *httpprobe.Request) {
	r.log.DebugContext(r.ctx, "step request", "step", s.name, "method", req.Method,
		"url", r.redact.text(u.Redacted()), "headers", r.redact.text(httpprobe.HeaderText(req.Header)),
		"body", clip.Head(r.redact.text(string(req.Body)), maxLoggedBody))
}

func (r *run) logResponse(s *step, resp *response) {
	args := []any{"step", s.name, "status", resp.Status, "proto", resp.Proto, "latency", resp.latency,
		"headers", r.redact.text(httpprobe.HeaderText(resp.Header)), "body", clip.Head(r.redact.text(string(resp.Body)), maxLoggedBody)}
	r.log.DebugContext(r.ctx, "step response", append(args, phaseArgs(resp.phases)...)...)
}

func (r *run) logf(msg string, args ...any) {
	if r.debug {
		r.log.DebugContext(r.ctx, msg, args...)
	}
}

// maxLoggedBody is how much of a body the debug log shows.
const maxLoggedBody = 4 << 10

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}
