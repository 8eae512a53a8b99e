package http

import (
	"cmp"
	"sync/atomic"

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

	// At most one of BasicAuth, BearerToken(File), Authorization and
	// OAuth2 sets the Authorization header.
	BasicAuth       *BasicAuth     `yaml:"basic_auth,omitempty"`
	BearerToken     conf.Secret    `yaml:"bearer_token,omitempty"`
	BearerTokenFile string         `yaml:"bearer_token_file,omitempty"`
	Authorization   *Authorization `yaml:"authorization,omitempty"`
	OAuth2          *OAuth2        `yaml:"oauth2,omitempty"`

	// ValidStatusCodes of the final response; any 2xx when empty.
	ValidStatusCodes []int `yaml:"valid_status_codes,omitempty"`
	// ValidHTTPVersions of the final response (HTTP/1.0, HTTP/1.1,
	// HTTP/2.0, HTTP/3.0); any when empty.
	ValidHTTPVersions []string `yaml:"valid_http_versions,omitempty"`
	FailIfSSL         bool     `yaml:"fail_if_ssl,omitempty"`
	FailIfNotSSL      bool     `yaml:"fail_if_not_ssl,omitempty"`

	FailIfBodyMatchesRegexp    []conf.Regexp `yaml:"fail_if_body_matches_regexp,omitempty"`
	FailIfBodyNotMatchesRegexp []conf.Regexp `yaml:"fail_if_body_not_matches_regexp,omitempty"`
	FailIfHeaderMatches        []HeaderMatch `yaml:"fail_if_header_matches,omitempty"`
	FailIfHeaderNotMatches     []HeaderMatch `yaml:"fail_if_header_not_matches,omitempty"`
	// FailIfBodyJSON(Not)MatchesCEL decode the body as JSON and fail
	// the run when the expression is true (false); a body that is not
	// JSON fails either.
	FailIfBodyJSONMatchesCEL    *CEL `yaml:"fail_if_body_json_matches_cel,omitempty"`
	FailIfBodyJSONNotMatchesCEL *CEL `yaml:"fail_if_body_json_not_matches_cel,omitempty"`

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

	// ProxyURL sends requests through an http, https or socks5 proxy,
	// except to the hosts NoProxy lists. ProxyFromEnvironment takes the
	// proxy from HTTP_PROXY, HTTPS_PROXY and NO_PROXY instead.
	// ProxyConnectHeader is sent to the proxy with CONNECT.
	ProxyURL             ProxyURL    `yaml:"proxy_url,omitempty"`
	NoProxy              string      `yaml:"no_proxy,omitempty"`
	ProxyFromEnvironment bool        `yaml:"proxy_from_environment,omitempty"`
	ProxyConnectHeader   ProxyHeader `yaml:"proxy_connect_header,omitempty"`
	// BodySizeLimit fails a run whose response body, once decompressed,
	// is larger; DefaultBodySizeLimit when unset, none for no limit.
	BodySizeLimit BodySizeLimit `yaml:"body_size_limit,omitempty"`
	// Compression (gzip, deflate, br or identity) is asked for, required
	// of a response with a body, and undone before the body is matched.
	Compression string `yaml:"compression,omitempty"`
	// EnableHTTP2 (true when unset) offers HTTP/2 in the TLS handshake.
	EnableHTTP2 *bool `yaml:"enable_http2,omitempty"`
	// EnableHTTP3 sends https requests over HTTP/3 (QUIC) only.
	EnableHTTP3 bool `yaml:"enable_http3,omitempty"`

	// built is the setup made of this section, for every further probe
	// or client of the same section: probes without an http section
	// share one empty section.
	built atomic.Pointer[setup]
}

// BasicAuth is sent as an Authorization header.
type BasicAuth struct {
	Username     string      `yaml:"username,omitempty"`
	UsernameFile string      `yaml:"username_file,omitempty"`
	Password     conf.Secret `yaml:"password,omitempty"`
	PasswordFile string      `yaml:"password_file,omitempty"`
}

// Authorization is sent as "Authorization: <type> <credentials>".
type Authorization struct {
	// Type is Bearer when empty; Basic is basic_auth's.
	Type            string      `yaml:"type,omitempty"`
	Credentials     conf.Secret `yaml:"credentials,omitempty"`
	CredentialsFile string      `yaml:"credentials_file,omitempty"`
}

// OAuth2 fetches a token with the client credentials grant and sends it
// with every request to the target's host.
type OAuth2 struct {
	ClientID         string            `yaml:"client_id,omitempty"`
	ClientSecret     conf.Secret       `yaml:"client_secret,omitempty"`
	ClientSecretFile string            `yaml:"client_secret_file,omitempty"`
	Scopes           []string          `yaml:"scopes,omitempty"`
	TokenURL         string            `yaml:"token_url,omitempty"`
	EndpointParams   map[string]string `yaml:"endpoint_params,omitempty"`
	// TLSConfig and ProxyURL are those of the token request.
	TLSConfig TLSConfig `yaml:"tls_config,omitempty"`
	ProxyURL  ProxyURL  `yaml:"proxy_url,omitempty"`
}

// HeaderMatch is a regular expression on the values of one response header.
// A header that is missing fails the check unless AllowMissing is set.
type HeaderMatch struct {
	Header       string      `yaml:"header"`
	Regexp       conf.Regexp `yaml:"regexp"`
	AllowMissing bool        `yaml:"allow_missing,omitempty"`
}

// TLSConfig configures the TLS client. The CA, the client certificate and
// its key are each given inline (PEM) or as a file.
type TLSConfig struct {
	CA                 string      `yaml:"ca,omitempty"`
	CAFile             string      `yaml:"ca_file,omitempty"`
	Cert               string      `yaml:"cert,omitempty"`
	CertFile           string      `yaml:"cert_file,omitempty"`
	Key                conf.Secret `yaml:"key,omitempty"`
	KeyFile            string      `yaml:"key_file,omitempty"`
	ServerName         string      `yaml:"server_name,omitempty"`
	InsecureSkipVerify bool        `yaml:"insecure_skip_verify,omitempty"`
	// MinVersion and MaxVersion are TLS10, TLS11, TLS12 or TLS13.
	MinVersion string `yaml:"min_version,omitempty"`
	MaxVersion string `yaml:"max_version,omitempty"`
}

// Defaults applied where the config leaves a field zero.
const (
	DefaultMethod       = "GET"
	DefaultMaxRedirects = 10
	DefaultIPProtocol   = "ip4"
	// DefaultBodySizeLimit bounds what a run reads of a body (and keeps
	// of one it matches) when body_size_limit is not set.
	DefaultBodySizeLimit = 10 << 20
	// UserAgent is sent unless the headers set one.
	UserAgent = "sloagent"
)

func (c *Config) method() string        { return cmp.Or(c.Method, DefaultMethod) }
func (c *Config) followRedirects() bool { return valueOr(c.FollowRedirects, true) }
func (c *Config) maxRedirects() int     { return valueOr(c.MaxRedirects, DefaultMaxRedirects) }
func (c *Config) ipProtocol() string    { return cmp.Or(c.IPProtocol, DefaultIPProtocol) }
func (c *Config) ipFallback() bool      { return valueOr(c.IPProtocolFallback, true) }

// bodyLimit is the body size limit in bytes; 0 means none.
func (c *Config) bodyLimit() int64 {
	switch {
	case c.BodySizeLimit == 0:
		return DefaultBodySizeLimit
	case c.BodySizeLimit < 0:
		return 0
	}
	return int64(c.BodySizeLimit)
}

func (c *Config) proxied() bool     { return c.ProxyURL != "" || c.ProxyFromEnvironment }
func (c *Config) enableHTTP2() bool { return valueOr(c.EnableHTTP2, true) }

// valueOr is what p points to, or def for a field the config leaves out
// (one whose zero value is meaningful, such as false or 0).
func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
