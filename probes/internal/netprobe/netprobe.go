// Package netprobe holds what the kinds that open their own connections
// (tcp, dns, icmp, grpc, api) share: the address family options, resolving
// a target to one address as blackbox_exporter does, the series every such
// kind reports about it, and turning network errors into a bounded reason
// and a sentence.
package netprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/family"
)

// IPConfig is the address family options of a kind's section, inlined into
// it: the keys are the http kind's.
type IPConfig struct {
	// IPProtocol is ip4 (the default) or ip6: the family tried first.
	IPProtocol string `yaml:"ip_protocol,omitempty"`
	// IPProtocolFallback (true when unset) allows the other family when
	// the name has no address of the preferred one.
	IPProtocolFallback *bool `yaml:"ip_protocol_fallback,omitempty"`
	// SourceIPAddress is the local address to send from.
	SourceIPAddress string `yaml:"source_ip_address,omitempty"`
}

// DefaultIPProtocol is the family tried first, as in the http kind.
const DefaultIPProtocol = "ip4"

// Validate records problems of the options, with fields relative to the
// section they are inlined in.
func (c *IPConfig) Validate(r conf.Report) {
	switch c.IPProtocol {
	case "", "ip4", "ip6":
	default:
		r.Errorf("ip_protocol", "unknown ip_protocol %q (use ip4 or ip6)", c.IPProtocol)
	}
	if c.SourceIPAddress != "" && net.ParseIP(c.SourceIPAddress) == nil {
		r.Errorf("source_ip_address", "invalid IP address %q", c.SourceIPAddress)
	}
}

// Protocol is the family tried first.
func (c *IPConfig) Protocol() string {
	if c.IPProtocol == "" {
		return DefaultIPProtocol
	}
	return c.IPProtocol
}

// Fallback tells whether the other family may be used.
func (c *IPConfig) Fallback() bool { return c.IPProtocolFallback == nil || *c.IPProtocolFallback }

// SourceIP is the configured source address, or nil.
func (c *IPConfig) SourceIP() net.IP { return net.ParseIP(c.SourceIPAddress) }

// Resolved is the one address a run uses.
type Resolved struct {
	IP      net.IP
	Literal bool          // the target was an address, nothing was looked up
	Took    time.Duration // the lookup
}

// Proto is 4 or 6.
func (r Resolved) Proto() int {
	if r.IP.To4() != nil {
		return 4
	}
	return 6
}

// Network is base ("tcp", "udp", "ip") with the address's family appended.
func (r Resolved) Network(base string) string {
	if r.Proto() == 4 {
		return base + "4"
	}
	return base + "6"
}

// Resolve picks one address of host, of the preferred family when it has
// one: a probe measures one path, not the dialer's racing of several.
func Resolve(ctx context.Context, c *IPConfig, host string) (Resolved, error) {
	return Lookup(ctx, net.DefaultResolver, c.Protocol(), c.Fallback(), host)
}

// Lookup is Resolve with resolver and the family options given as values:
// first is ip4 or ip6, fallback allows the other.
func Lookup(ctx context.Context, resolver *net.Resolver, first string, fallback bool, host string) (Resolved, error) {
	second := "ip6"
	if first == "ip6" {
		second = "ip4"
	} else {
		first = "ip4"
	}
	if ip := net.ParseIP(host); ip != nil {
		// As blackbox_exporter does: a family without fallback is a
		// demand, and an address of the other one does not meet it.
		if is4 := ip.To4() != nil; !fallback && is4 != (first == "ip4") {
			other := errIPv6Address
			if is4 {
				other = errIPv4Address
			}
			return Resolved{}, &ResolveError{Host: host, Family: first, Err: other}
		}
		return Resolved{IP: ip, Literal: true}, nil
	}
	start := time.Now()
	ips, err := resolver.LookupIP(ctx, first, host)
	if err == nil && len(ips) > 0 {
		return Resolved{IP: ips[0], Took: time.Since(start)}, nil
	}
	if !fallback || ctx.Err() != nil {
		return Resolved{Took: time.Since(start)}, &ResolveError{Host: host, Family: first, Err: err}
	}
	ips, err2 := resolver.LookupIP(ctx, second, host)
	if err2 == nil && len(ips) > 0 {
		return Resolved{IP: ips[0], Took: time.Since(start)}, nil
	}
	if err == nil {
		err = err2
	}
	return Resolved{Took: time.Since(start)}, &ResolveError{Host: host, Err: err}
}

var (
	errIPv4Address = errors.New("an IPv4 address")
	errIPv6Address = errors.New("an IPv6 address")
)

// ResolveError is a failed lookup; Family is set when only one was allowed.
type ResolveError struct {
	Host   string
	Family string
	Err    error
}

func (e *ResolveError) Error() string {
	msg := "no address"
	if de, ok := e.Err.(*net.DNSError); ok {
		msg = de.Err
	} else if e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Family != "" {
		return fmt.Sprintf("lookup %s: %s (%s only)", e.Host, msg, e.Family)
	}
	return fmt.Sprintf("lookup %s: %s", e.Host, msg)
}

func (e *ResolveError) Unwrap() error { return e.Err }

// Families every kind that resolves its target reports, named and described
// as the http kind does, so that the series are one family across kinds.
var (
	IPProtocol = family.Gauge("probe_ip_protocol", "IP protocol of the connection: 4 or 6, 0 if the name did not resolve.")
	DNSLookup  = family.Gauge("probe_dns_lookup_time_seconds", "Time taken to resolve the target's name, in seconds.")
)

// AppendSamples appends the samples of the address a run resolved; proto
// is 0 when it did not resolve.
func AppendSamples(s []probes.Sample, res Resolved, ok bool) []probes.Sample {
	proto := 0
	if ok {
		proto = res.Proto()
	}
	return append(s, family.Sample(&IPProtocol, float64(proto)), family.Sample(&DNSLookup, res.Took.Seconds()))
}

// FailedDueToRegex is blackbox_exporter's series, described as the http kind
// describes it.
var FailedDueToRegex = family.Gauge("probe_failed_due_to_regex", "1 if the run failed because a body or header regexp check failed, else 0.")
