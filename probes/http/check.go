package http

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
)

// check runs the configured checks on the final response. Checks on the
// response head come first; as blackbox_exporter does, the body is read
// even when one of them failed, so that its length is reported, but a
// failure there does not change the head's reason.
func (r *run) check(resp *http.Response) probes.Result {
	p := r.p
	if r.debug {
		r.logResponse(resp)
	}
	res, readAnyway := r.checkHead(resp)
	if res.Reason != "" {
		// A redirect that was not followed is reported as it came,
		// with its body unread, unless a check wants that body.
		if readAnyway && (!r.unfollowed || p.keepsBody()) {
			_ = r.readBody(resp, false)
		}
		return res
	}
	if r.unfollowed && !p.keepsBody() {
		return r.success(resp)
	}
	if err := r.readBody(resp, p.keepsBody()); err != nil {
		return r.classify(err, true)
	}
	if msg := p.checkBody(r.kept()); msg != "" {
		r.failedRegex = true
		return probes.Fail(probes.ReasonBodyMismatch, msg)
	}
	if msg := r.checkCEL(); msg != "" {
		r.failedCEL = true
		return probes.Fail(probes.ReasonBodyMismatch, msg)
	}
	return r.success(resp)
}

// checkHead checks what the response head says. readAnyway is false when
// the body cannot be read as configured (it is not in the encoding asked
// for).
func (r *run) checkHead(resp *http.Response) (res probes.Result, readAnyway bool) {
	p := r.p
	if !p.statusOK(resp.StatusCode) {
		return probes.Fail(probes.ReasonStatusCode, fmt.Sprintf("status code %d not in %s", resp.StatusCode, p.statusRange())), true
	}
	if len(p.validVersions) > 0 && !contains(p.validVersions, resp.Proto) {
		return probes.Fail(probes.ReasonHTTPVersion, fmt.Sprintf("%s not in valid_http_versions %s", resp.Proto, strings.Join(p.validVersions, ", "))), true
	}
	switch {
	case p.failIfSSL && resp.TLS != nil:
		return probes.Fail(probes.ReasonSSLPolicy, "response came over TLS and fail_if_ssl is set"), true
	case p.failIfNotSSL && resp.TLS == nil:
		return probes.Fail(probes.ReasonSSLPolicy, "response came over plain HTTP and fail_if_not_ssl is set"), true
	}
	if msg := p.checkHeaders(resp.Header); msg != "" {
		r.failedRegex = true
		return probes.Fail(probes.ReasonHeaderMismatch, msg), true
	}
	if p.compression != "" && resp.ContentLength != 0 && resp.Request.Method != http.MethodHead {
		ce := resp.Header.Get("Content-Encoding")
		identity := p.compression == "identity" && (ce == "" || strings.EqualFold(ce, "identity"))
		if !identity && !strings.EqualFold(ce, p.compression) {
			return probes.Fail(probes.ReasonHeaderMismatch, fmt.Sprintf("response Content-Encoding is %q, asked for %q", netprobe.Clip(ce), p.compression)), false
		}
	}
	return probes.Result{}, true
}

func (r *run) success(resp *http.Response) probes.Result {
	var b strings.Builder
	b.WriteString(resp.Proto)
	b.WriteByte(' ')
	b.WriteString(netprobe.Clip(resp.Status)) // its reason phrase is the target's to choose
	r.mu.Lock()
	if r.addr != "" {
		b.WriteString(" from ")
		b.WriteString(r.addr)
	}
	r.mu.Unlock()
	if r.unfollowed {
		b.WriteString(", redirect not followed")
	} else if r.redirects > 0 {
		b.WriteString(" after ")
		b.WriteString(strconv.Itoa(r.redirects))
		b.WriteString(" redirect")
		if r.redirects > 1 {
			b.WriteByte('s')
		}
	}
	return probes.Result{Success: true, Message: b.String()}
}

func (p *prober) statusOK(code int) bool {
	if len(p.validStatus) == 0 {
		return code >= 200 && code <= 299
	}
	for _, c := range p.validStatus {
		if c == code {
			return true
		}
	}
	return false
}

func (p *prober) statusRange() string {
	if len(p.validStatus) == 0 {
		return "200-299"
	}
	codes := make([]string, len(p.validStatus))
	for i, c := range p.validStatus {
		codes[i] = strconv.Itoa(c)
	}
	return strings.Join(codes, ", ")
}

func (p *prober) checkHeaders(h http.Header) string {
	for _, m := range p.headerMatch {
		vs := h[m.key]
		if len(vs) == 0 && !m.allowMissing {
			return "header " + m.key + " missing"
		}
		for _, v := range vs {
			if m.re.MatchString(v) {
				return fmt.Sprintf("header %s: %q matched /%s/", m.key, netprobe.Clip(v), m.re)
			}
		}
	}
	for _, m := range p.headerNotMatch {
		vs := h[m.key]
		if len(vs) == 0 {
			if m.allowMissing {
				continue
			}
			return "header " + m.key + " missing"
		}
		matched := false
		for _, v := range vs {
			if m.re.MatchString(v) {
				matched = true
				break
			}
		}
		if !matched {
			return fmt.Sprintf("header %s: %q did not match /%s/", m.key, netprobe.Clip(vs[0]), m.re)
		}
	}
	return ""
}

func (p *prober) checkBody(body []byte) string {
	for _, re := range p.bodyMatch {
		if re.Match(body) {
			return fmt.Sprintf("body matched /%s/", re)
		}
	}
	for _, re := range p.bodyNotMatch {
		if !re.Match(body) {
			return fmt.Sprintf("body did not match /%s/", re)
		}
	}
	return ""
}

// checkCEL evaluates the CEL expressions on the body decoded as JSON.
func (r *run) checkCEL() string {
	p := r.p
	if p.celMatch == nil && p.celNotMatch == nil {
		return ""
	}
	body, err := decodeJSON(r.kept())
	if err != nil {
		return err.Error()
	}
	if e := p.celMatch; e != nil {
		switch ok, err := e.Eval(r.ctx, body); {
		case err != nil:
			return err.Error()
		case ok:
			return fmt.Sprintf("body matched CEL expression %q", e.Expression)
		}
	}
	if e := p.celNotMatch; e != nil {
		switch ok, err := e.Eval(r.ctx, body); {
		case err != nil:
			return err.Error()
		case !ok:
			return fmt.Sprintf("body did not match CEL expression %q", e.Expression)
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
