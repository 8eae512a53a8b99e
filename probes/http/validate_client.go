package http

import (
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/sloagent/sloagent/internal/conf"
)

// The checks of the client's options: credentials and proxies.

func (c *Config) validateAuth(r conf.Report) {
	if b := c.BasicAuth; b != nil {
		ar := r.At("basic_auth")
		if b.Username != "" && b.UsernameFile != "" {
			ar.Errorf("username_file", "username and username_file are mutually exclusive")
		}
		if b.Password != "" && b.PasswordFile != "" {
			ar.Errorf("password_file", "password and password_file are mutually exclusive")
		}
		if b.Username == "" && b.UsernameFile == "" {
			ar.Errorf("username", "missing username")
		}
		conf.CheckFile(ar, "username_file", b.UsernameFile)
		conf.CheckFile(ar, "password_file", b.PasswordFile)
	}
	if c.BearerToken != "" && c.BearerTokenFile != "" {
		r.Errorf("bearer_token_file", "bearer_token and bearer_token_file are mutually exclusive")
	}
	conf.CheckFile(r, "bearer_token_file", c.BearerTokenFile)
	if a := c.Authorization; a != nil {
		ar := r.At("authorization")
		switch t := strings.TrimSpace(a.Type); {
		case strings.EqualFold(t, "basic"):
			ar.Errorf("type", "use basic_auth for Basic credentials")
		case t != "" && !httpguts.ValidHeaderFieldName(t):
			ar.Errorf("type", "invalid authorization type %q", a.Type)
		}
		if a.Credentials != "" && a.CredentialsFile != "" {
			ar.Errorf("credentials_file", "credentials and credentials_file are mutually exclusive")
		}
		conf.CheckFile(ar, "credentials_file", a.CredentialsFile)
	}
	if o := c.OAuth2; o != nil {
		o.validate(r.At("oauth2"))
	}

	// One field sets the Authorization header; name the later one.
	var set []string
	for _, s := range []struct {
		field string
		on    bool
	}{
		{"basic_auth", c.BasicAuth != nil},
		{"bearer_token", c.BearerToken != "" || c.BearerTokenFile != ""},
		{"authorization", c.Authorization != nil},
		{"oauth2", c.OAuth2 != nil},
	} {
		if s.on {
			set = append(set, s.field)
		}
	}
	if len(set) > 1 {
		r.Errorf(set[1], "%s are mutually exclusive", strings.Join(set, " and "))
	}
	if len(set) > 0 {
		for name := range c.Headers {
			if strings.EqualFold(name, "Authorization") {
				r.Errorf("headers", "an Authorization header conflicts with %s", set[0])
			}
		}
	}
}

func (o *OAuth2) validate(r conf.Report) {
	if o.ClientID == "" {
		r.Errorf("client_id", "missing client_id")
	}
	if o.ClientSecret != "" && o.ClientSecretFile != "" {
		r.Errorf("client_secret_file", "client_secret and client_secret_file are mutually exclusive")
	}
	conf.CheckFile(r, "client_secret_file", o.ClientSecretFile)
	if o.TokenURL == "" {
		r.Errorf("token_url", "missing token_url")
	} else if u, err := url.Parse(o.TokenURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.Errorf("token_url", "token_url %q is not an http:// or https:// URL", o.TokenURL)
	}
	o.TLSConfig.validate(r.At("tls_config"))
	if o.ProxyURL != "" {
		checkProxyURL(r, string(o.ProxyURL))
	}
}

func (c *Config) validateProxy(r conf.Report) {
	if c.ProxyURL != "" {
		checkProxyURL(r, string(c.ProxyURL))
	}
	switch {
	case c.ProxyFromEnvironment && c.ProxyURL != "":
		r.Errorf("proxy_from_environment", "proxy_from_environment and proxy_url are mutually exclusive")
	case c.ProxyFromEnvironment && c.NoProxy != "":
		r.Errorf("no_proxy", "no_proxy does not apply to proxy_from_environment (set NO_PROXY in the environment)")
	case c.NoProxy != "" && c.ProxyURL == "":
		r.Errorf("no_proxy", "no_proxy needs proxy_url")
	}
	if len(c.ProxyConnectHeader) > 0 && !c.proxied() {
		r.Errorf("proxy_connect_header", "proxy_connect_header needs proxy_url or proxy_from_environment")
	}
	for name, vs := range c.ProxyConnectHeader {
		if !httpguts.ValidHeaderFieldName(name) {
			r.Errorf("proxy_connect_header", "invalid header name %q", name)
			continue
		}
		for i, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v.Reveal()) {
				r.At("proxy_connect_header").Index(name, i).Errorf("", "invalid header value: control characters are not allowed")
			}
		}
	}
}

func checkProxyURL(r conf.Report, s string) {
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
