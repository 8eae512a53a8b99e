package dns

import "github.com/sloagent/sloagent/probes"

// Kind is the dns probe kind. A response code not in valid_rcodes fails
// with status_code, a record check with body_mismatch.
var Kind = probes.NewKind(probes.Definition[Config]{Name: "dns", Target: ValidateTarget, New: New, Families: Families,
	Summary:  "one DNS query over UDP, TCP or TLS, with checks of the response code and records, as blackbox_exporter's dns prober",
	Required: "a dns probe needs a dns section with the query_name to ask about",
	Reasons:  probes.ConnReasons(probes.ReasonTLS, probes.ReasonStatusCode, probes.ReasonBodyMismatch, probes.ReasonProtocol)})
