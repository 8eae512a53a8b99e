package api

import "github.com/sloagent/sloagent/probes"

// Kind is the api probe kind.
var Kind = probes.NewKind(probes.Definition[Config]{Name: "api", Target: ValidateTarget, New: New, Families: Families,
	Summary:  "a multi-step API check: HTTP requests in sequence, with variables, assertions and values extracted for later steps",
	Required: "an api probe needs an api section with its steps",
	Reasons: probes.ConnReasons(probes.ReasonTLS, probes.ReasonStatusCode, probes.ReasonHeaderMismatch, probes.ReasonBodyMismatch,
		probes.ReasonAssertion, probes.ReasonBodyTooLarge, probes.ReasonRedirects, probes.ReasonProtocol, probes.ReasonInternal)})
