package icmp

import (
	"cmp"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
)

// Config is the icmp section of a probe: blackbox_exporter's icmp module's
// keys (the address family keys the http kind's), and the number of echo
// requests a run sends, how far apart, and how many may go unanswered.
type Config struct {
	netprobe.IPConfig `yaml:",inline"`

	// PayloadSize is the size of each echo request's data; 0 sends a
	// short text.
	PayloadSize int `yaml:"payload_size,omitempty"`
	// DontFragment sets the DF bit (IPv4) or forbids fragmenting
	// (IPv6): payload_size larger than the path's MTU then fails.
	// Linux only.
	DontFragment bool `yaml:"dont_fragment,omitempty"`
	// TTL is the outgoing packets' TTL (IPv4) or hop limit (IPv6); 64
	// when unset.
	TTL int `yaml:"ttl,omitempty"`
	// Packets is how many echo requests a run sends; 1 when unset.
	Packets int `yaml:"packets,omitempty"`
	// PacketInterval is the time between two requests; 100ms when unset.
	PacketInterval conf.Duration `yaml:"packet_interval,omitempty"`
	// MaxPacketLoss is the share of requests (0 to 1) that may go
	// unanswered in a run that succeeds; when unset, a run fails only
	// when no request is answered.
	MaxPacketLoss *float64 `yaml:"max_packet_loss,omitempty"`
}

// Defaults applied where the config leaves a field zero.
const (
	DefaultTTL            = 64
	DefaultPackets        = 1
	DefaultPacketInterval = 100 * time.Millisecond
	// MaxPackets bounds a run's requests.
	MaxPackets = 1000
	// MaxPayloadSize is the largest payload of an echo request that
	// fits in an IPv6 packet.
	MaxPayloadSize = 65535 - 40 - 8
)

// Validate records every problem of the section in r, with fields relative
// to the section.
func (c *Config) Validate(r conf.Report) {
	c.IPConfig.Validate(r)
	if c.PayloadSize < 0 || c.PayloadSize > MaxPayloadSize {
		r.Errorf("payload_size", "must be 0-%d, got %d", MaxPayloadSize, c.PayloadSize)
	}
	if c.TTL < 0 || c.TTL > 255 {
		r.Errorf("ttl", "must be 1-255, got %d", c.TTL)
	}
	if c.DontFragment && !dontFragmentSupported {
		r.Errorf("dont_fragment", "dont_fragment is supported on Linux only")
	}
	if c.Packets < 0 || c.Packets > MaxPackets {
		r.Errorf("packets", "must be 1-%d, got %d", MaxPackets, c.Packets)
	}
	if l := c.MaxPacketLoss; l != nil && (*l < 0 || *l >= 1) {
		r.Errorf("max_packet_loss", "must be at least 0 and below 1 (a share of the requests), got %v", *l)
	}
}

func (c *Config) packets() int            { return cmp.Or(c.Packets, DefaultPackets) }
func (c *Config) interval() time.Duration { return cmp.Or(c.PacketInterval.D(), DefaultPacketInterval) }
func (c *Config) ttl() int                { return cmp.Or(c.TTL, DefaultTTL) }

// CheckTimeout tells whether a run's requests all go out well within
// timeout, leaving the last one time to be answered.
func (c *Config) CheckTimeout(timeout time.Duration) error {
	spread := time.Duration(c.packets()-1) * c.interval()
	if timeout > 0 && spread >= timeout {
		return fmt.Errorf("%d packets %s apart take %s to send, which leaves no time for replies within the timeout %s",
			c.packets(), c.interval(), spread, timeout)
	}
	return nil
}

// ValidateTarget records a problem with a target that is not a host name
// or an address.
func ValidateTarget(r conf.Report, target string) {
	if target == "" {
		r.Errorf("target", "missing target: an icmp probe's target is a host name or an address")
		return
	}
	if _, err := parseTarget(target); err != nil {
		r.Errorf("target", "%v", err)
	}
}

func parseTarget(target string) (string, error) {
	host := strings.TrimSuffix(strings.TrimPrefix(target, "["), "]")
	if strings.ContainsAny(host, "/ ") || (strings.Contains(host, ":") && net.ParseIP(host) == nil) {
		return "", fmt.Errorf("target %q is not a host name or an address (no port or scheme)", target)
	}
	return host, nil
}
