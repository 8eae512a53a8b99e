package grpc

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// Health servers that answer what the protocol does not expect.

// healthFunc is a health service answering every check with check.
type healthFunc struct {
	grpc_health_v1.UnimplementedHealthServer
	check func() (*grpc_health_v1.HealthCheckResponse, error)
}

func (h *healthFunc) Check(context.Context, *grpc_health_v1.HealthCheckRequest) (*grpc_health_v1.HealthCheckResponse, error) {
	return h.check()
}

// serveHealth starts a gRPC server whose health service answers with check.
func serveHealth(t *testing.T, check func() (*grpc_health_v1.HealthCheckResponse, error)) string {
	t.Helper()
	ln := probetest.Listen(t, "tcp4")
	srv := grpc.NewServer()
	grpc_health_v1.RegisterHealthServer(srv, &healthFunc{check: check})
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return ln.Addr().String()
}

// A status message of megabytes is quoted in part: the failure message
// is kept in the probe's state, its incident and the logs.
func TestHugeStatusMessage(t *testing.T) {
	addr := serveHealth(t, func() (*grpc_health_v1.HealthCheckResponse, error) {
		return nil, status.Error(codes.Internal, "database down: "+strings.Repeat("m", 4<<20))
	})
	// The run must fail by the message, not by the clock: on a loaded
	// machine, under the race detector, 4 MiB may take longer than timeout.
	res := probetest.Probe(t, &Kind, addr, probetest.Section[Config](t, "{}"), 30*time.Second)
	probetest.WantFail(t, res, probes.ReasonStatusCode, "health check failed with Internal: database down: mmm")
	probetest.WantFail(t, res, probes.ReasonStatusCode, " bytes cut] ")
	if len(res.Message) > 1<<10 {
		t.Errorf("the message is %d bytes long", len(res.Message))
	}
}

// A serving status the protocol does not define is a failure that says so.
func TestUnknownServingStatus(t *testing.T) {
	addr := serveHealth(t, func() (*grpc_health_v1.HealthCheckResponse, error) {
		return &grpc_health_v1.HealthCheckResponse{Status: 99}, nil
	})
	res := probe(t, addr, "{}")
	probetest.WantFail(t, res, ReasonNotServing, "the server answered serving status 99, which grpc.health.v1 does not define")
	for _, st := range servingStatuses {
		if got := probetest.Sample(t, res, HealthCheckResponse.Name, st.status.String()); got != 0 {
			t.Errorf("%s %s = %v", HealthCheckResponse.Name, st.status, got)
		}
	}
}
