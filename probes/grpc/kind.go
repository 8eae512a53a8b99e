package grpc

import "github.com/sloagent/sloagent/probes"

// Kind is the grpc probe kind.
var Kind = probes.NewKind(probes.Definition[Config]{Name: "grpc", Target: ValidateTarget, New: New, Families: Families,
	Summary: "the standard gRPC health check (grpc.health.v1) of a service, with TLS and metadata, as blackbox_exporter's grpc prober",
	Reasons: probes.ConnReasons(probes.ReasonTLS, probes.ReasonStatusCode, ReasonNotServing, probes.ReasonInternal)})
