package http

import (
	"github.com/sloagent/sloagent/internal/conf"
)

// Config is the http section of a probe. Every field's zero value means its
// default, because a probe without an http section gets a zero Config. The
// keys follow blackbox_exporter's http module where it has them.
type Config struct {
	// Method is the request method; GET when empty.
	Method string `yaml:"method,omitempty"`
	// Headers are sent with every request; a Host header sets the
	// request's Host.
	Headers Headers `yaml:"headers,omitempty"`
	// Body (or the content of BodyFile, read when the config is loaded)
	// is the request body.
	Body     string `yaml:"body,omitempty"`
	BodyFile string `yaml:"body_file,omitempty"`

	BasicAuth       *BasicAuth  `yaml:"basic_auth,omitempty"`
	BearerToken     conf.Secret `yaml:"bearer_token,omitempty"`
	BearerTokenFile string      `yaml:"bearer_token_file,omitempty"`

	// ValidStatusCodes of the final response; any 2xx when empty.
	ValidStatusCodes []int `yaml:"valid_status_codes,omitempty"`
	// ValidHTTPVersions of the final response (HTTP/1.0, HTTP/1.1,
	// HTTP/2.0); any when empty.
	ValidHTTPVersions []string `yaml:"valid_http_versions,omitempty"`
	FailIfSSL         bool     `yaml:"fail_if_ssl,omitempty"`
	FailIfNotSSL      bool     `yaml:"fail_if_not_ssl,omitempty"`

	FailIfBodyMatchesRegexp    []conf.Regexp `yaml:"fail_if_body_matches_regexp,omitempty"`
	FailIfBodyNotMatchesRegexp []conf.Regexp `yaml:"fail_if_body_not_matches_regexp,omitempty"`
	FailIfHeaderMatches        []HeaderMatch `yaml:"fail_if_header_matches,omitempty"`
	FailIfHeaderNotMatches     []HeaderMatch `yaml:"fail_if_header_not_matches,omitempty"`

	// FollowRedirects is true when unset. MaxRedirects (10 when unset)
	// bounds how many are followed; more is a failure, so 0 fails any
	// redirect while following none.
	FollowRedirects *bool `yaml:"follow_redirects,omitempty"`
	MaxRedirects    *int  `yaml:"max_redirects,omitempty"`

	TLSConfig TLSConfig `yaml:"tls_config,omitempty"`

	// IPProtocol is ip4 (the default) or ip6: the address family tried
	// first. IPProtocolFallback (true when unset) allows the other one
	// when the name has no address of the preferred family.
	IPProtocol         string `yaml:"ip_protocol,omitempty"`
	IPProtocolFallback *bool  `yaml:"ip_protocol_fallback,omitempty"`

	// ProxyURL sends requests through an http, https or socks5 proxy.
	ProxyURL ProxyURL `yaml:"proxy_url,omitempty"`
	// BodySizeLimit fails a run whose response body (on the wire, and
	// again once decompressed) is larger; no limit when zero.
	BodySizeLimit conf.ByteSize `yaml:"body_size_limit,omitempty"`
	// Compression asks for a gzip or deflate encoded response, fails
	// when the response is not encoded so, and decompresses the body
	// before matching it.
	Compression string `yaml:"compression,omitempty"`
	// EnableHTTP2 (true when unset) offers HTTP/2 in the TLS handshake.
	EnableHTTP2 *bool `yaml:"enable_http2,omitempty"`
}

// BasicAuth is sent as an Authorization header.
type BasicAuth struct {
	Username     string      `yaml:"username"`
	Password     conf.Secret `yaml:"password,omitempty"`
	PasswordFile string      `yaml:"password_file,omitempty"`
}

// HeaderMatch is a regular expression on the values of one response header.
// A header that is missing fails the check unless AllowMissing is set.
type HeaderMatch struct {
	Header       string      `yaml:"header"`
	Regexp       conf.Regexp `yaml:"regexp"`
	AllowMissing bool        `yaml:"allow_missing,omitempty"`
}

// TLSConfig configures the TLS client.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file,omitempty"`
	CertFile           string `yaml:"cert_file,omitempty"`
	KeyFile            string `yaml:"key_file,omitempty"`
	ServerName         string `yaml:"server_name,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
	// MinVersion and MaxVersion are TLS10, TLS11, TLS12 or TLS13.
	MinVersion string `yaml:"min_version,omitempty"`
	MaxVersion string `yaml:"max_version,omitempty"`
}

// Defaults applied where the config leaves a field zero.
const (
	DefaultMethod       = "GET"
	DefaultMaxRedirects = 10
	DefaultIPProtocol   = "ip4"
	// UserAgent is sent unless the headers set one.
	UserAgent = "sloagent"
)

func (c *Config) method() string {
	if c.Method == "" {
		return DefaultMethod
	}
	return c.Method
}

func (c *Config) followRedirects() bool { return boolOr(c.FollowRedirects, true) }

func (c *Config) maxRedirects() int {
	if c.MaxRedirects == nil {
		return DefaultMaxRedirects
	}
	return *c.MaxRedirects
}

func (c *Config) ipProtocol() string {
	if c.IPProtocol == "" {
		return DefaultIPProtocol
	}
	return c.IPProtocol
}

func (c *Config) ipFallback() bool  { return boolOr(c.IPProtocolFallback, true) }
func (c *Config) enableHTTP2() bool { return boolOr(c.EnableHTTP2, true) }

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}
