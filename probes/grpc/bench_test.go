package grpc

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkProbe is one health check of a service on a new connection to a
// local server.
func BenchmarkProbe(b *testing.B) {
	_, addr := serve(b, "tcp4", false)
	p, err := New(addr, &Config{Service: "orders"})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if res := p.Probe(ctx, log); !res.Success {
			b.Fatal(res.Message)
		}
		cancel()
	}
}
