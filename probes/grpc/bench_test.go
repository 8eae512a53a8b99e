package grpc

import (
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// BenchmarkProbe is one health check of a service on a new connection to a
// local server.
func BenchmarkProbe(b *testing.B) {
	_, addr := serve(b, "tcp4", false)
	probetest.Bench(b, probetest.New(b, &Kind, addr, &Config{Service: "orders"}, 2*time.Second))
}
