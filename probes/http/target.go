package http

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// NormalizeTarget returns the URL a probe of target requests, as
// blackbox_exporter reads targets: a target without a scheme (host:port,
// host/path) is http://; the scheme's case does not matter; with
// enable_http3 an http:// target is taken as https://, since HTTP/3 runs
// only over TLS. Any other scheme is an error that says so. c may be nil.
func NormalizeTarget(target string, c *Config) (string, error) {
	if strings.TrimSpace(target) == "" {
		return "", errors.New("missing target URL")
	}
	scheme, rest, ok := strings.Cut(target, "://")
	switch {
	case !ok:
		scheme, rest = "http", target
	case strings.EqualFold(scheme, "http"), strings.EqualFold(scheme, "https"):
		scheme = strings.ToLower(scheme)
	default:
		// The words of the agent's other URL checks, which users and
		// tests already know; host:port without a scheme is http.
		return "", fmt.Errorf("target %q must be an http:// or https:// URL", target)
	}
	if c != nil && c.EnableHTTP3 {
		scheme = "https"
	}
	s := scheme + "://" + rest
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("target %q is not a valid URL: %v", target, err)
	}
	if u.Host == "" {
		return "", fmt.Errorf("target %q has no host", target)
	}
	return s, nil
}

// hostHeaderName is the host name of a configured Host header (without
// its port), or "".
func hostHeaderName(h Headers) string {
	for k, v := range h {
		if strings.EqualFold(k, "Host") {
			if host, _, err := net.SplitHostPort(v); err == nil {
				return strings.Trim(host, "[]")
			}
			return strings.Trim(v, "[]")
		}
	}
	return ""
}
