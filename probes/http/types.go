package http

import (
	"fmt"
	"net/url"
	"strconv"
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

// ByteSize is a number of bytes, written as a plain number or with a unit:
// 512, 64KB, 10MB, 1GiB (KB and KiB both mean 1024).
type ByteSize int64

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
}

// ParseByteSize parses a size such as 10MB.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9') {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("invalid size %q (use bytes or a unit: KB, MB, GB)", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	mult, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if err != nil || !ok || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q (use bytes or a unit: KB, MB, GB)", s)
	}
	return ByteSize(n * mult), nil
}

// UnmarshalYAML parses a size; a bad one is a problem on its line.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*b = v
	return nil
}

// MarshalYAML writes the size with the largest unit that divides it.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

func (b ByteSize) String() string {
	for _, u := range [...]struct {
		name string
		n    int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.n == 0 {
			return strconv.FormatInt(int64(b)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}
