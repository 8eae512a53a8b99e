package http

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// check runs the configured checks on the final response, reading its body
// when nothing before it failed. Checks on the response head come first so
// that a bad status does not wait for a body that may never end.
func (r *run) check(resp *http.Response) probes.Result {
	p := r.p
	if r.debug {
		r.logResponse(resp)
	}
	if !p.statusOK(resp.StatusCode) {
		return probes.Fail(probes.ReasonStatusCode, fmt.Sprintf("status code %d not in %s", resp.StatusCode, p.statusRange()))
	}
	if len(p.validVersions) > 0 && !contains(p.validVersions, resp.Proto) {
		return probes.Fail(probes.ReasonHTTPVersion, fmt.Sprintf("%s not in valid_http_versions %s", resp.Proto, strings.Join(p.validVersions, ", ")))
	}
	switch {
	case p.failIfSSL && resp.TLS != nil:
		return probes.Fail(probes.ReasonSSLPolicy, "response came over TLS and fail_if_ssl is set")
	case p.failIfNotSSL && resp.TLS == nil:
		return probes.Fail(probes.ReasonSSLPolicy, "response came over plain HTTP and fail_if_not_ssl is set")
	}
	if msg := p.checkHeaders(resp.Header); msg != "" {
		r.failedRegex = true
		return probes.Fail(probes.ReasonHeaderMismatch, msg)
	}
	if p.compression != "" && resp.ContentLength != 0 && resp.Request.Method != http.MethodHead {
		if ce := resp.Header.Get("Content-Encoding"); !strings.EqualFold(ce, p.compression) {
			return probes.Fail(probes.ReasonHeaderMismatch, fmt.Sprintf("response Content-Encoding is %q, asked for %q", ce, p.compression))
		}
	}
	if p.limit > 0 && resp.ContentLength > p.limit {
		return probes.Fail(probes.ReasonBodyTooLarge, fmt.Sprintf("Content-Length %d larger than body_size_limit %s", resp.ContentLength, conf.ByteSize(p.limit)))
	}

	if err := r.readBody(resp); err != nil {
		return r.classify(err, true)
	}
	if msg := p.checkBody(r.bodyBuf); msg != "" {
		r.failedRegex = true
		return probes.Fail(probes.ReasonBodyMismatch, msg)
	}
	return r.success(resp)
}

func (r *run) success(resp *http.Response) probes.Result {
	var b strings.Builder
	b.WriteString(resp.Proto)
	b.WriteByte(' ')
	b.WriteString(resp.Status)
	r.mu.Lock()
	if r.addr != "" {
		b.WriteString(" from ")
		b.WriteString(r.addr)
	}
	r.mu.Unlock()
	if r.redirects > 0 {
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
				return fmt.Sprintf("header %s: %q matched /%s/", m.key, v, m.re)
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
			return fmt.Sprintf("header %s: %q did not match /%s/", m.key, vs[0], m.re)
		}
	}
	return ""
}

func (p *prober) checkBody(body *bytes.Buffer) string {
	if body == nil {
		return ""
	}
	for _, re := range p.bodyMatch {
		if re.Match(body.Bytes()) {
			return fmt.Sprintf("body matched /%s/", re)
		}
	}
	for _, re := range p.bodyNotMatch {
		if !re.Match(body.Bytes()) {
			return fmt.Sprintf("body did not match /%s/", re)
		}
	}
	return ""
}

// readBody reads the whole body, counting it on the wire and decompressed,
// and keeps it only when there are body regexps to match.
func (r *run) readBody(resp *http.Response) error {
	p := r.p
	wire := &countingReader{r: resp.Body, limit: p.limit}
	var body io.Reader = wire
	switch p.compression {
	case "gzip":
		// A gzip reader is large; reuse them across runs.
		zr, _ := p.gzips.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(wire)
		} else {
			err = zr.Reset(wire)
		}
		if err != nil {
			return bodyErr(err, p.compression)
		}
		defer p.gzips.Put(zr)
		body = zr
	case "deflate":
		zr := flate.NewReader(wire)
		defer zr.Close()
		body = zr
	}
	plain := wire
	if p.compression != "" {
		plain = &countingReader{r: body, limit: p.limit}
	}
	var err error
	if len(p.bodyMatch)+len(p.bodyNotMatch) > 0 {
		buf := p.bufs.Get().(*bytes.Buffer)
		buf.Reset()
		r.bodyBuf = buf
		_, err = buf.ReadFrom(plain)
	} else {
		_, err = io.Copy(io.Discard, plain)
	}
	r.bodyLen = plain.n
	return bodyErr(err, p.compression)
}

// bodyErr makes a truncated or corrupt body a protocol error rather than a
// bare EOF, which classify would take for a connection closed early.
func bodyErr(err error, encoding string) error {
	var corrupt flate.CorruptInputError
	switch {
	case err == nil, errors.Is(err, errTooLarge):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("body ended early: %w", io.ErrUnexpectedEOF)
	case errors.As(err, &corrupt), errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum):
		return fmt.Errorf("body is not valid %s: %v", encoding, err)
	}
	return err
}

// countingReader counts bytes and fails once more than limit (if set) came.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if c.limit > 0 && c.n > c.limit {
		return n, errTooLarge
	}
	return n, err
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
