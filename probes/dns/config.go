package dns

import (
	"net"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// Config is the dns section of a probe; its keys are blackbox_exporter's dns
// module's, and the address family keys the http kind's.
type Config struct {
	netprobe.IPConfig `yaml:",inline"`

	// TransportProtocol is udp (the default) or tcp; tcp when
	// dns_over_tls is set.
	TransportProtocol string `yaml:"transport_protocol,omitempty"`
	// DNSOverTLS queries over TLS (RFC 7858), on port 853 unless the
	// target names one.
	DNSOverTLS bool            `yaml:"dns_over_tls,omitempty"`
	TLSConfig  tlsprobe.Config `yaml:"tls_config,omitempty"`

	// QueryName is the name asked about; required.
	QueryName string `yaml:"query_name"`
	// QueryType is a record type (A, AAAA, MX, SOA, ...); ANY when empty.
	QueryType string `yaml:"query_type,omitempty"`
	// QueryClass is IN when empty.
	QueryClass string `yaml:"query_class,omitempty"`
	// RecursionDesired sets the RD flag; true when unset.
	RecursionDesired *bool `yaml:"recursion_desired,omitempty"`
	// ValidRcodes are the response codes that pass; NOERROR when empty.
	ValidRcodes []string `yaml:"valid_rcodes,omitempty"`

	ValidateAnswer     RRValidator `yaml:"validate_answer_rrs,omitempty"`
	ValidateAuthority  RRValidator `yaml:"validate_authority_rrs,omitempty"`
	ValidateAdditional RRValidator `yaml:"validate_additional_rrs,omitempty"`
}

// RRValidator checks the records of one section of the response, each
// matched in its text form ("example.com.\t300\tIN\tA\t192.0.2.1").
type RRValidator struct {
	// FailIfMatchesRegexp fails the run if any record matches any of them.
	FailIfMatchesRegexp []conf.Regexp `yaml:"fail_if_matches_regexp,omitempty"`
	// FailIfAllMatchRegexp fails the run unless every record matches all
	// of them, as blackbox_exporter has it despite the name; a section
	// without records passes.
	FailIfAllMatchRegexp []conf.Regexp `yaml:"fail_if_all_match_regexp,omitempty"`
	// FailIfNotMatchesRegexp fails the run if any record does not match
	// one of them, or if there is no record.
	FailIfNotMatchesRegexp []conf.Regexp `yaml:"fail_if_not_matches_regexp,omitempty"`
	// FailIfNoneMatchesRegexp fails the run unless some record matches
	// one of them.
	FailIfNoneMatchesRegexp []conf.Regexp `yaml:"fail_if_none_matches_regexp,omitempty"`
}

// Defaults applied where the config leaves a field empty.
const (
	DefaultQueryType  = "ANY"
	DefaultQueryClass = "IN"
	DefaultRcode      = "NOERROR"
)

// Validate records every problem of the section in r, with fields relative
// to the section.
func (c *Config) Validate(r conf.Report) {
	c.IPConfig.Validate(r)
	switch c.TransportProtocol {
	case "", "tcp":
	case "udp":
		if c.DNSOverTLS {
			r.Errorf("transport_protocol", "dns_over_tls needs transport_protocol tcp")
		}
	default:
		r.Errorf("transport_protocol", "unknown transport_protocol %q (use udp or tcp)", c.TransportProtocol)
	}
	c.TLSConfig.Validate(r.At("tls_config"))
	if c.QueryName == "" {
		r.Errorf("query_name", "missing query_name: the name to ask the server about")
	} else if _, ok := dns.IsDomainName(c.QueryName); !ok {
		r.Errorf("query_name", "invalid domain name %q", c.QueryName)
	}
	if _, ok := queryType(c.QueryType); !ok {
		r.Errorf("query_type", "unknown query_type %q", c.QueryType)
	}
	if _, ok := queryClass(c.QueryClass); !ok {
		r.Errorf("query_class", "unknown query_class %q (use IN, CH, HS, NONE or ANY)", c.QueryClass)
	}
	for i, rc := range c.ValidRcodes {
		if _, ok := rcode(rc); !ok {
			r.Index("valid_rcodes", i).Errorf("", "unknown rcode %q (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...)", rc)
		}
	}
	c.ValidateAnswer.validate(r.At("validate_answer_rrs"))
	c.ValidateAuthority.validate(r.At("validate_authority_rrs"))
	c.ValidateAdditional.validate(r.At("validate_additional_rrs"))
}

func (v *RRValidator) validate(r conf.Report) {
	for _, l := range []struct {
		field string
		res   []conf.Regexp
	}{
		{"fail_if_matches_regexp", v.FailIfMatchesRegexp},
		{"fail_if_all_match_regexp", v.FailIfAllMatchRegexp},
		{"fail_if_not_matches_regexp", v.FailIfNotMatchesRegexp},
		{"fail_if_none_matches_regexp", v.FailIfNoneMatchesRegexp},
	} {
		for i, re := range l.res {
			if re.Regexp == nil {
				r.Index(l.field, i).Errorf("", "missing regular expression")
			}
		}
	}
}

// queryType, queryClass and rcode take names in any case.
func queryType(s string) (uint16, bool) {
	if s == "" {
		s = DefaultQueryType
	}
	t, ok := dns.StringToType[strings.ToUpper(s)]
	return t, ok
}

func queryClass(s string) (uint16, bool) {
	if s == "" {
		s = DefaultQueryClass
	}
	c, ok := dns.StringToClass[strings.ToUpper(s)]
	return c, ok
}

func rcode(s string) (int, bool) {
	c, ok := dns.StringToRcode[strings.ToUpper(s)]
	return c, ok
}

func (c *Config) transport() string {
	if c.TransportProtocol == "" && c.DNSOverTLS {
		return "tcp"
	}
	if c.TransportProtocol == "" {
		return "udp"
	}
	return c.TransportProtocol
}

// ValidateTarget records a problem with a target that is not a server's
// host or host:port.
func ValidateTarget(r conf.Report, target string) {
	if target == "" {
		r.Errorf("target", "missing target: a dns probe's target is the server, host or host:port")
		return
	}
	if _, _, err := splitTarget(target, false); err != nil {
		r.Errorf("target", "%v", err)
	}
}

// splitTarget takes host or host:port; the port is 53, or 853 over TLS.
func splitTarget(target string, dot bool) (host, port string, err error) {
	host, port, err = net.SplitHostPort(target)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(target, "["), "]"), "53"
		if dot {
			port = "853"
		}
		if strings.Contains(host, ":") && net.ParseIP(host) == nil {
			return "", "", &targetError{target, "not a host, host:port or IPv6 address"}
		}
	}
	if host == "" {
		return "", "", &targetError{target, "missing host"}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", "", &targetError{target, "port must be 1-65535"}
	}
	return host, port, nil
}

type targetError struct{ target, why string }

func (e *targetError) Error() string {
	return "target " + strconv.Quote(e.target) + " is not a DNS server's address: " + e.why
}
