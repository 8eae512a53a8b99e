package icmp

import (
	"github.com/sloagent/sloagent/probes"
)

// Kind is the icmp probe kind. Its prober needs the probe's timeout: the
// requests must all go out well within it.
var Kind = probes.NewKind(probes.Definition[Config]{Name: "icmp", Target: ValidateTarget, Families: Families,
	Summary: "ICMP echo requests (ping) over IPv4 or IPv6, with round trips and loss, as blackbox_exporter's icmp prober",
	Build:   func(s probes.Spec, c *Config) (probes.Prober, error) { return New(s.Target, c, s.Timeout) },
	Reasons: probes.ConnReasons(ReasonPacketLoss, probes.ReasonConfig, probes.ReasonInternal)})
