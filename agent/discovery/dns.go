package discovery

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// DNSSDConfig is an entry of dns_sd_configs, as Prometheus has it: names
// whose SRV records (host and port of each) or A or AAAA records (with
// port) are the targets, looked up every refresh_interval. Server, which
// Prometheus does not have, asks one DNS server (host:port) instead of
// the host's resolvers.
type DNSSDConfig struct {
	Names           []string      `yaml:"names"`
	Type            string        `yaml:"type,omitempty"`
	Port            int           `yaml:"port,omitempty"`
	RefreshInterval conf.Duration `yaml:"refresh_interval,omitempty"`
	Server          string        `yaml:"server,omitempty"`
}

// Defaults of dns_sd, as Prometheus has them.
const (
	DefaultDNSRefresh = 30 * time.Second
	DefaultDNSType    = "SRV"
	dnsTimeout        = 10 * time.Second
)

// ApplyDefaults sets the record type and refresh interval.
func (c *DNSSDConfig) ApplyDefaults() {
	c.Type = strings.ToUpper(cmp.Or(c.Type, DefaultDNSType))
	c.RefreshInterval = cmp.Or(c.RefreshInterval, conf.Duration(DefaultDNSRefresh))
}

// Validate checks the names, type and port.
func (c *DNSSDConfig) Validate(r conf.Report) {
	if len(c.Names) == 0 {
		r.Errorf("names", "list at least one name")
	}
	for i, n := range c.Names {
		if n == "" {
			r.Errorf(fmt.Sprintf("names[%d]", i), "empty name")
		}
	}
	switch c.Type {
	case "SRV":
		if c.Port != 0 {
			r.Errorf("port", "SRV records have their ports; port applies to A and AAAA")
		}
	case "A", "AAAA":
		if c.Port < 1 || c.Port > 65535 {
			r.Errorf("port", "%s records need a port (1-65535), got %d", c.Type, c.Port)
		}
	default:
		r.Errorf("type", "unknown record type %q (use SRV, A or AAAA)", c.Type)
	}
	if c.Server != "" {
		if _, _, err := net.SplitHostPort(c.Server); err != nil {
			r.Errorf("server", "server %q is not host:port: %v", c.Server, err)
		}
	}
	validateRefresh(r, c.RefreshInterval)
}

// NewDNSSource returns the source of c.
//
// It resolves with the standard library's resolver, which reads the host's
// resolver settings on every platform (resolv.conf, Windows' adapters);
// with Server it asks that one over UDP (falling back to TCP for a
// truncated answer).
func NewDNSSource(c DNSSDConfig) Source {
	res := net.DefaultResolver
	if c.Server != "" {
		res = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, c.Server)
		}}
	}
	return &dnsSource{c: c, res: res}
}

type dnsSource struct {
	c   DNSSDConfig
	res *net.Resolver
}

// Refresh looks every name up. A name that does not resolve fails the
// refresh, which keeps the targets of the last good one: a DNS outage
// must not remove every probe.
func (s *dnsSource) Refresh(ctx context.Context) ([]Target, error) {
	ctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	var out []Target
	for _, name := range s.c.Names {
		ts, err := s.lookup(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

func (s *dnsSource) lookup(ctx context.Context, name string) ([]Target, error) {
	meta := func(extra ...string) map[string]string {
		m := map[string]string{"__meta_dns_name": name}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	var out []Target
	switch s.c.Type {
	case "SRV":
		_, srvs, err := s.res.LookupSRV(ctx, "", "", name)
		if err != nil {
			return nil, err
		}
		for _, r := range srvs {
			if r.Target == "." {
				continue // RFC 2782: the service is decidedly not available at this name
			}
			host := strings.TrimSuffix(r.Target, ".")
			port := strconv.Itoa(int(r.Port))
			out = append(out, Target{Address: net.JoinHostPort(host, port),
				Labels: meta("__meta_dns_srv_record_target", r.Target, "__meta_dns_srv_record_port", port)})
		}
	default:
		network := "ip4"
		if s.c.Type == "AAAA" {
			network = "ip6"
		}
		ips, err := s.res.LookupIP(ctx, network, name)
		if err != nil {
			return nil, err
		}
		for _, ip := range ips {
			out = append(out, Target{Address: net.JoinHostPort(ip.String(), strconv.Itoa(s.c.Port)), Labels: meta()})
		}
	}
	// A record listed twice (a zone's SRV records of one host and port
	// with different priorities) is one target.
	slices.SortStableFunc(out, func(a, b Target) int { return strings.Compare(a.Address, b.Address) })
	return slices.CompactFunc(out, func(a, b Target) bool { return a.Address == b.Address }), nil
}
