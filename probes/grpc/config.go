package grpc

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// Config is the grpc section of a probe; its keys are blackbox_exporter's
// grpc module's, and the address family keys the http kind's.
type Config struct {
	netprobe.IPConfig `yaml:",inline"`

	// Service is the service name asked about; empty asks about the
	// server as a whole.
	Service string `yaml:"service,omitempty"`
	// Metadata is sent with the call.
	Metadata Metadata `yaml:"metadata,omitempty"`
	// TLS connects with TLS; an https:// target sets it, otherwise it
	// is off when unset.
	TLS       *bool           `yaml:"tls,omitempty"`
	TLSConfig tlsprobe.Config `yaml:"tls_config,omitempty"`
}

// Metadata is gRPC metadata: keys and their values. Values of keys that
// usually carry credentials print as <secret> when the config is written
// back out.
type Metadata map[string][]string

// MarshalYAML redacts sensitive values, so /config never shows them.
func (m Metadata) MarshalYAML() (any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string][]string, len(m))
	for k, vs := range m {
		if conf.SensitiveName(k) {
			red := make([]string, len(vs))
			for i := range red {
				red[i] = conf.Redacted
			}
			vs = red
		}
		out[k] = vs
	}
	return out, nil
}

// metadataKeyRE is what gRPC allows in a key (it lowercases them).
var metadataKeyRE = regexp.MustCompile(`^[0-9a-zA-Z_.-]+$`)

// Validate records every problem of the section in r, with fields relative
// to the section.
func (c *Config) Validate(r conf.Report) {
	c.IPConfig.Validate(r)
	for k := range c.Metadata {
		switch {
		case !metadataKeyRE.MatchString(k):
			r.At("metadata").Errorf(k, "invalid metadata key %q: use letters, digits, '-', '_' and '.'", k)
		case strings.HasPrefix(strings.ToLower(k), "grpc-"):
			r.At("metadata").Errorf(k, "metadata key %q: keys starting with grpc- are reserved by gRPC", k)
		}
	}
	c.TLSConfig.Validate(r.At("tls_config"))
}

// ValidateTarget records a problem with a target that is not host:port,
// host, or an http:// or https:// URL of one.
func ValidateTarget(r conf.Report, target string) {
	if target == "" {
		r.Errorf("target", "missing target: a grpc probe's target is host:port")
		return
	}
	if _, err := parseTarget(target, nil); err != nil {
		r.Errorf("target", "%v", err)
	}
}

type target struct {
	host, port string
	tls        bool
}

// parseTarget takes host:port, or host with a port of 443 with TLS and 80
// without, or http:// and https:// URLs of those, as blackbox_exporter
// does; https:// turns TLS on unless tls is false.
func parseTarget(s string, useTLS *bool) (target, error) {
	var t target
	rest, scheme := s, ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = s[:i], s[i+3:]
		if scheme != "http" && scheme != "https" {
			return t, &targetError{s, "scheme must be http or https, or none"}
		}
		u, err := url.Parse(s)
		if err != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return t, &targetError{s, "a URL target has only a scheme, host and port"}
		}
		rest = u.Host
	}
	t.tls = scheme == "https"
	if useTLS != nil {
		t.tls = *useTLS
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]"), "80"
		if t.tls {
			port = "443"
		}
		if strings.Contains(host, ":") && net.ParseIP(host) == nil {
			return t, &targetError{s, "not host, host:port or an IPv6 address"}
		}
	}
	if host == "" {
		return t, &targetError{s, "missing host"}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return t, &targetError{s, "port must be 1-65535"}
	}
	t.host, t.port = host, port
	return t, nil
}

type targetError struct{ target, why string }

func (e *targetError) Error() string {
	return "target " + strconv.Quote(e.target) + " is not a gRPC server's address: " + e.why
}
