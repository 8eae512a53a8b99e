package tcp

import "github.com/sloagent/sloagent/probes"

// Kind is the tcp probe kind.
var Kind = probes.NewKind(probes.Definition[Config]{Name: "tcp", Target: ValidateTarget, New: New, Families: Families,
	Summary: "a TCP connection, with TLS or STARTTLS and a dialogue of expected and sent lines, as blackbox_exporter's tcp prober",
	Reasons: probes.ConnReasons(probes.ReasonTLS, probes.ReasonBodyMismatch, probes.ReasonProtocol)})
