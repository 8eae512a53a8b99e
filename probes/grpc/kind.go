package grpc

import (
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// Kind is the grpc probe kind.
var Kind = probes.NewKind(probes.Definition[Config]{
	Name:    "grpc",
	Summary: "the standard gRPC health check (grpc.health.v1) of a service, with TLS and metadata, as blackbox_exporter's grpc prober",
	Validate: func(target string, c *Config, r conf.Report) {
		ValidateTarget(r, target)
		c.Validate(r.At("grpc"))
	},
	Build:    func(s probes.Spec, c *Config) (probes.Prober, error) { return New(s.Target, c) },
	Families: Families,
	Reasons: []string{probes.ReasonTimeout, probes.ReasonDNS, probes.ReasonConnect, probes.ReasonTLS,
		probes.ReasonStatusCode, ReasonNotServing, probes.ReasonCanceled, probes.ReasonInternal},
})
