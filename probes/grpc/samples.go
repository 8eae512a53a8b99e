package grpc

import (
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/family"
	"github.com/sloagent/sloagent/probes/internal/netrun"
)

// The phases of a run. blackbox_exporter has resolve and check, its
// check including the connection; here the connection has its own phases.
const phaseResolve = netrun.PhaseResolve

const (
	phaseConnect = netrun.PhaseConnect + iota
	phaseTLS
	phaseCheck
)

var phases = netrun.NewPhases(&Duration, []netrun.Phase{netrun.Resolve, netrun.Connect, netrun.TLS,
	phaseCheck: {Name: "check", Doing: "waiting for the health check's answer"}})

// The series of a grpc run, blackbox_exporter's.
var (
	Duration            = family.Gauge("probe_grpc_duration_seconds", "Duration of the gRPC health check by phase: resolve, connect, tls, check (the call).", "phase")
	SSL                 = family.Gauge("probe_grpc_ssl", "1 if the connection used TLS, else 0.")
	StatusCode          = family.Gauge("probe_grpc_status_code", "gRPC status code of the health check call (0 is OK), -1 if no call was made.")
	HealthCheckResponse = family.Gauge("probe_grpc_healthcheck_response", "1 for the serving status the health check answered, 0 for the others.", "serving_status")
)

// Families lists every series a grpc run may report (the TLS ones over TLS).
var Families = netrun.Families(true, Duration, SSL, StatusCode, HealthCheckResponse)

// servingStatuses are every status a health check may answer, in their
// protocol order, each with its label.
var servingStatuses = func() (s []struct {
	status grpc_health_v1.HealthCheckResponse_ServingStatus
	labels []probes.Label
}) {
	for v := range int32(len(grpc_health_v1.HealthCheckResponse_ServingStatus_name)) {
		st := grpc_health_v1.HealthCheckResponse_ServingStatus(v)
		s = append(s, struct {
			status grpc_health_v1.HealthCheckResponse_ServingStatus
			labels []probes.Label
		}{st, family.Labels(&HealthCheckResponse, st.String())})
	}
	return s
}()
