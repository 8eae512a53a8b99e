package http

import (
	"crypto/tls"
	"crypto/x509"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// httpVersions maps what valid_http_versions accepts to Go's Response.Proto.
var httpVersions = map[string]string{
	"HTTP/1.0": "HTTP/1.0",
	"HTTP/1.1": "HTTP/1.1",
	"HTTP/2":   "HTTP/2.0",
	"HTTP/2.0": "HTTP/2.0",
	"HTTP/3":   "HTTP/3.0",
	"HTTP/3.0": "HTTP/3.0",
}

// compressions are what compression accepts.
var compressions = map[string]bool{"gzip": true, "deflate": true, "br": true, "identity": true}

// Validate records every problem of the section in r, with field paths
// relative to the section.
func (c *Config) Validate(r conf.Report) {
	if c.Method != "" {
		switch {
		case !httpguts.ValidHeaderFieldName(c.Method): // a method is a token, like a header name
			r.Errorf("method", "invalid method %q", c.Method)
		case strings.ToUpper(c.Method) != c.Method:
			r.Errorf("method", "invalid method %q: methods are case-sensitive, use %q", c.Method, strings.ToUpper(c.Method))
		}
	}
	for name, v := range c.Headers {
		if !httpguts.ValidHeaderFieldName(name) {
			r.Errorf("headers", "invalid header name %q", name)
		} else if !httpguts.ValidHeaderFieldValue(v) {
			r.Errorf("headers."+name, "invalid header value: control characters are not allowed")
		}
	}
	if c.Body != "" && c.BodyFile != "" {
		r.Errorf("body_file", "body and body_file are mutually exclusive")
	}
	conf.CheckFile(r, "body_file", c.BodyFile)
	c.validateAuth(r)

	for i, code := range c.ValidStatusCodes {
		if code < 100 || code > 599 {
			r.Index("valid_status_codes", i).Errorf("", "invalid status code %d (must be 100-599)", code)
		}
	}
	c.validateVersions(r)
	if c.FailIfSSL && c.FailIfNotSSL {
		r.Errorf("fail_if_not_ssl", "fail_if_ssl and fail_if_not_ssl together fail every run")
	}
	for i, re := range c.FailIfBodyMatchesRegexp {
		if re.Regexp == nil {
			r.Index("fail_if_body_matches_regexp", i).Errorf("", "missing regular expression")
		}
	}
	for i, re := range c.FailIfBodyNotMatchesRegexp {
		if re.Regexp == nil {
			r.Index("fail_if_body_not_matches_regexp", i).Errorf("", "missing regular expression")
		}
	}
	validateHeaderMatches(r, "fail_if_header_matches", c.FailIfHeaderMatches)
	validateHeaderMatches(r, "fail_if_header_not_matches", c.FailIfHeaderNotMatches)

	if c.MaxRedirects != nil && *c.MaxRedirects < 0 {
		r.Errorf("max_redirects", "must not be negative, got %d", *c.MaxRedirects)
	}
	c.TLSConfig.validate(r.At("tls_config"))
	switch c.IPProtocol {
	case "", "ip4", "ip6":
	default:
		r.Errorf("ip_protocol", "unknown ip_protocol %q (use ip4 or ip6)", c.IPProtocol)
	}
	c.validateProxy(r)
	c.validateCompression(r)
}

func (c *Config) validateVersions(r conf.Report) {
	for i, v := range c.ValidHTTPVersions {
		proto, ok := httpVersions[v]
		switch {
		case !ok:
			r.Index("valid_http_versions", i).Errorf("", "unknown HTTP version %q (known: HTTP/1.0, HTTP/1.1, HTTP/2.0, HTTP/3.0)", v)
		case proto == "HTTP/3.0" && !c.EnableHTTP3:
			r.Index("valid_http_versions", i).Errorf("", "%s needs enable_http3: true", v)
		case proto != "HTTP/3.0" && c.EnableHTTP3:
			r.Index("valid_http_versions", i).Errorf("", "with enable_http3 every response is HTTP/3.0, never %s", v)
		}
	}
	if !c.EnableHTTP3 {
		return
	}
	if c.EnableHTTP2 != nil && *c.EnableHTTP2 {
		r.Errorf("enable_http2", "enable_http2 and enable_http3 are mutually exclusive")
	}
	if c.proxied() {
		r.Errorf("enable_http3", "HTTP/3 cannot go through proxy_url or proxy_from_environment")
	}
	if v := tlsprobe.VersionOf(c.TLSConfig.MaxVersion); v != 0 && v < tls.VersionTLS13 {
		r.Errorf("tls_config.max_version", "HTTP/3 needs TLS13, max_version is %s", c.TLSConfig.MaxVersion)
	}
}

// validateCompression also checks, as blackbox_exporter does, that an
// Accept-Encoding header accepts the compression: otherwise the server is
// asked not to send what the probe then requires.
func (c *Config) validateCompression(r conf.Report) {
	if c.Compression == "" {
		return
	}
	if !compressions[c.Compression] {
		r.Errorf("compression", "unsupported compression %q (use gzip, deflate, br or identity)", c.Compression)
		return
	}
	for name, v := range c.Headers {
		if strings.EqualFold(name, "Accept-Encoding") && !acceptsEncoding(v, c.Compression) {
			r.Errorf("headers."+name, "Accept-Encoding %q does not accept compression %q", v, c.Compression)
		}
	}
}

// acceptsEncoding reports whether the Accept-Encoding value accept lets a
// server send enc: the most preferred entry naming enc, or *, has a
// quality above zero. It need not be the first choice.
func acceptsEncoding(accept, enc string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	best, found := -1.0, false
	for part := range strings.SplitSeq(accept, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		if !strings.EqualFold(name, enc) && name != "*" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				} else {
					q = 0
				}
			}
		}
		if !found || q > best {
			best, found = q, true
		}
	}
	return found && best > 0
}

func validateHeaderMatches(r conf.Report, field string, ms []HeaderMatch) {
	for i, m := range ms {
		mr := r.Index(field, i)
		if m.Header == "" {
			mr.Errorf("header", "missing header name")
		} else if !httpguts.ValidHeaderFieldName(m.Header) {
			mr.Errorf("header", "invalid header name %q", m.Header)
		}
		if m.Regexp.Regexp == nil {
			mr.Errorf("regexp", "missing regular expression")
		}
	}
}

func (t *TLSConfig) validate(r conf.Report) {
	for _, p := range []struct {
		inline, file, name string
	}{{t.CA, t.CAFile, "ca"}, {t.Cert, t.CertFile, "cert"}, {t.Key.Reveal(), t.KeyFile, "key"}} {
		if p.inline != "" && p.file != "" {
			r.Errorf(p.name+"_file", "%s and %s_file are mutually exclusive", p.name, p.name)
		}
	}
	hasCert, hasKey := t.Cert != "" || t.CertFile != "", t.Key != "" || t.KeyFile != ""
	switch {
	case hasCert && !hasKey:
		r.Errorf("key_file", "a client certificate needs its key: set key or key_file together with cert or cert_file")
	case hasKey && !hasCert:
		r.Errorf("cert_file", "a client key needs its certificate: set cert or cert_file together with key or key_file")
	}
	if t.CA != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(t.CA)) {
		r.Errorf("ca", "no PEM certificate in ca")
	}
	if t.Cert != "" && t.Key != "" {
		if _, err := tls.X509KeyPair([]byte(t.Cert), []byte(t.Key.Reveal())); err != nil {
			r.Errorf("cert", "client certificate: %v", err)
		}
	}
	tlsprobe.ValidateFiles(r, t.CAFile, t.CertFile, t.KeyFile)
	tlsprobe.ValidateVersions(r, t.MinVersion, t.MaxVersion)
}
