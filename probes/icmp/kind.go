package icmp

import (
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// Kind is the icmp probe kind.
var Kind = probes.NewKind(probes.Definition[Config]{
	Name:    "icmp",
	Summary: "ICMP echo requests (ping) over IPv4 or IPv6, with round trips and loss, as blackbox_exporter's icmp prober",
	Validate: func(target string, c *Config, r conf.Report) {
		ValidateTarget(r, target)
		c.Validate(r.At("icmp"))
	},
	Build:    func(s probes.Spec, c *Config) (probes.Prober, error) { return New(s.Target, c, s.Timeout) },
	Families: Families,
	Reasons: []string{probes.ReasonTimeout, probes.ReasonDNS, probes.ReasonConnect, ReasonPacketLoss,
		probes.ReasonConfig, probes.ReasonCanceled, probes.ReasonInternal},
})
