package http

import (
	"net/url"
	"strings"

	"github.com/sloagent/sloagent/internal/conf"
)

// Headers are request headers. Values of headers that usually carry
// credentials print as <secret> when the config is written back out.
type Headers map[string]string

// MarshalYAML redacts sensitive values, so /config never shows them.
func (h Headers) MarshalYAML() (any, error) {
	if h == nil {
		return nil, nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = redactHeader(k, v)
	}
	return out, nil
}

// sensitiveHeader reports whether a header's value is likely a credential.
// It errs on the side of hiding: a hidden value costs a look at the file, a
// shown one may leak a token into a screenshot.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key":
		return true
	}
	for _, w := range [...]string{"token", "secret", "key", "auth", "password", "session", "signature"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func redactHeader(name, value string) string {
	if value != "" && sensitiveHeader(name) {
		return conf.Redacted
	}
	return value
}

// ProxyURL is a proxy's URL; a password in it prints as <secret>.
type ProxyURL string

// MarshalYAML redacts the password of the URL.
func (p ProxyURL) MarshalYAML() (any, error) { return p.redacted(), nil }

func (p ProxyURL) String() string { return p.redacted() }

func (p ProxyURL) redacted() string {
	u, err := url.Parse(string(p))
	if err != nil || u.User == nil {
		return string(p)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), conf.Redacted)
	}
	return u.String()
}
