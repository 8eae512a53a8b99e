package api

import (
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// Kind is the api probe kind.
var Kind = probes.NewKind(probes.Definition[Config]{
	Name:     "api",
	Summary:  "a multi-step API check: HTTP requests in sequence, with variables, assertions and values extracted for later steps",
	Required: "an api probe needs an api section with its steps",
	Validate: func(target string, c *Config, r conf.Report) {
		ValidateTarget(r, target)
		c.Validate(r.At("api"))
	},
	Build:    func(s probes.Spec, c *Config) (probes.Prober, error) { return New(s.Target, c) },
	Families: Families,
	Reasons: []string{probes.ReasonTimeout, probes.ReasonDNS, probes.ReasonConnect, probes.ReasonTLS,
		probes.ReasonStatusCode, probes.ReasonHeaderMismatch, probes.ReasonBodyMismatch, probes.ReasonAssertion,
		probes.ReasonBodyTooLarge, probes.ReasonRedirects, probes.ReasonProtocol, probes.ReasonCanceled, probes.ReasonInternal},
})
