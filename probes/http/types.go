package http

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"

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

// redactHeader hides the value of a header whose name says it is likely a
// credential, by the names /config hides (conf.SensitiveName). It errs on
// the side of hiding: a hidden value costs a look at the file, a shown one
// may leak a token into a screenshot.
func redactHeader(name, value string) string {
	if value != "" && conf.SensitiveName(name) {
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

// BodySizeLimit is body_size_limit: a size, or "none" for no limit. An
// explicit 0 also means no limit, as in blackbox_exporter; a limit that is
// not set at all is DefaultBodySizeLimit.
type BodySizeLimit conf.ByteSize

// NoBodySizeLimit is "none".
const NoBodySizeLimit BodySizeLimit = -1

// UnmarshalYAML parses a size or "none"; a bad one is a problem on its line.
func (l *BodySizeLimit) UnmarshalYAML(n *yaml.Node) error {
	if strings.EqualFold(strings.TrimSpace(n.Value), "none") {
		*l = NoBodySizeLimit
		return nil
	}
	var b conf.ByteSize
	if err := b.UnmarshalYAML(n); err != nil {
		return err
	}
	switch {
	case b < 0:
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid size %q: must not be negative (none lifts the limit)", n.Line, n.Value)}}
	case b == 0:
		*l = NoBodySizeLimit
	default:
		*l = BodySizeLimit(b)
	}
	return nil
}

// MarshalYAML writes the size, or none.
func (l BodySizeLimit) MarshalYAML() (any, error) { return l.String(), nil }

func (l BodySizeLimit) String() string {
	if l < 0 {
		return "none"
	}
	return conf.ByteSize(l).String()
}

// ProxyHeader are headers sent to a proxy with CONNECT; their values are
// secrets (a proxy's credentials usually travel in them).
type ProxyHeader map[string][]conf.Secret

func (h ProxyHeader) header() http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			out.Add(k, v.Reveal())
		}
	}
	return out
}
