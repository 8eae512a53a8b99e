package http

import (
	"crypto/tls"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/sloagent/sloagent/internal/conf"
)

var tlsVersions = map[string]uint16{
	"TLS10": tls.VersionTLS10,
	"TLS11": tls.VersionTLS11,
	"TLS12": tls.VersionTLS12,
	"TLS13": tls.VersionTLS13,
}

// httpVersions maps what valid_http_versions accepts to Go's Response.Proto.
var httpVersions = map[string]string{
	"HTTP/1.0": "HTTP/1.0",
	"HTTP/1.1": "HTTP/1.1",
	"HTTP/2":   "HTTP/2.0",
	"HTTP/2.0": "HTTP/2.0",
}

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
	for i, v := range c.ValidHTTPVersions {
		if _, ok := httpVersions[v]; !ok {
			r.Index("valid_http_versions", i).Errorf("", "unknown HTTP version %q (known: HTTP/1.0, HTTP/1.1, HTTP/2.0)", v)
		}
	}
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
	if c.ProxyURL != "" {
		validateProxy(r, string(c.ProxyURL))
	}
	if c.BodySizeLimit < 0 {
		r.Errorf("body_size_limit", "must not be negative")
	}
	switch c.Compression {
	case "", "gzip", "deflate":
	default:
		r.Errorf("compression", "unsupported compression %q (use gzip or deflate)", c.Compression)
	}
}

func (c *Config) validateAuth(r conf.Report) {
	if b := c.BasicAuth; b != nil {
		ar := r.At("basic_auth")
		if b.Password != "" && b.PasswordFile != "" {
			ar.Errorf("password_file", "password and password_file are mutually exclusive")
		}
		if b.Username == "" {
			ar.Errorf("username", "missing username")
		}
		conf.CheckFile(ar, "password_file", b.PasswordFile)
	}
	if c.BearerToken != "" && c.BearerTokenFile != "" {
		r.Errorf("bearer_token_file", "bearer_token and bearer_token_file are mutually exclusive")
	}
	conf.CheckFile(r, "bearer_token_file", c.BearerTokenFile)
	bearer := c.BearerToken != "" || c.BearerTokenFile != ""
	if c.BasicAuth != nil && bearer {
		r.Errorf("bearer_token", "basic_auth and bearer_token are mutually exclusive")
	}
	if c.BasicAuth != nil || bearer {
		for name := range c.Headers {
			if strings.EqualFold(name, "Authorization") {
				r.Errorf("headers", "an Authorization header conflicts with basic_auth or bearer_token")
			}
		}
	}
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
	if (t.CertFile == "") != (t.KeyFile == "") {
		r.Errorf("key_file", "cert_file and key_file must be set together")
	}
	conf.CheckFile(r, "ca_file", t.CAFile)
	conf.CheckFile(r, "cert_file", t.CertFile)
	conf.CheckFile(r, "key_file", t.KeyFile)
	minV, okMin := tlsVersions[t.MinVersion]
	if t.MinVersion != "" && !okMin {
		r.Errorf("min_version", "unknown TLS version %q (use TLS10, TLS11, TLS12 or TLS13)", t.MinVersion)
	}
	maxV, okMax := tlsVersions[t.MaxVersion]
	if t.MaxVersion != "" && !okMax {
		r.Errorf("max_version", "unknown TLS version %q (use TLS10, TLS11, TLS12 or TLS13)", t.MaxVersion)
	}
	if okMin && okMax && minV > maxV {
		r.Errorf("max_version", "max_version %s is below min_version %s", t.MaxVersion, t.MinVersion)
	}
}

func validateProxy(r conf.Report, s string) {
	u, err := url.Parse(s)
	if err != nil {
		r.Errorf("proxy_url", "invalid URL: %v", strings.TrimPrefix(err.Error(), "parse "))
		return
	}
	switch u.Scheme {
	case "http", "https", "socks5":
	default:
		r.Errorf("proxy_url", "proxy URL %q must use http, https or socks5", ProxyURL(s))
		return
	}
	if u.Host == "" {
		r.Errorf("proxy_url", "proxy URL %q has no host", ProxyURL(s))
	}
}
