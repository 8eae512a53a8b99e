package command

import (
	"net"
	"net/url"
	"strings"
)

// splitTarget finds the host and port of a target written as host:port,
// [v6]:port, a URL, or a bare host (port empty).
func splitTarget(target string) (host, port string) {
	if strings.Contains(target, "://") {
		if u, err := url.Parse(target); err == nil && u.Host != "" {
			port = u.Port()
			if port == "" {
				port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
			}
			return u.Hostname(), port
		}
	}
	if h, p, err := net.SplitHostPort(target); err == nil {
		return h, p
	}
	return strings.Trim(target, "[]"), ""
}
