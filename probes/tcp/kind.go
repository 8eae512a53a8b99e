package tcp

import (
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// Kind is the tcp probe kind.
var Kind = probes.NewKind(probes.Definition[Config]{
	Name:    "tcp",
	Summary: "a TCP connection, with TLS or STARTTLS and a dialogue of expected and sent lines, as blackbox_exporter's tcp prober",
	Validate: func(target string, c *Config, r conf.Report) {
		ValidateTarget(r, target)
		c.Validate(r.At("tcp"))
	},
	Build:    func(s probes.Spec, c *Config) (probes.Prober, error) { return New(s.Target, c) },
	Families: Families,
	Reasons: []string{probes.ReasonTimeout, probes.ReasonDNS, probes.ReasonConnect, probes.ReasonTLS,
		probes.ReasonBodyMismatch, probes.ReasonProtocol, probes.ReasonCanceled},
})
