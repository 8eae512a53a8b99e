package http

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkProbe is one run against a local server: a new connection, a
// request, a small body and the default checks.
func BenchmarkProbe(b *testing.B) {
	s := httptest.NewServer(http.HandlerFunc(ok))
	defer s.Close()
	pr, err := New(s.URL, &Config{})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		if res := pr.Probe(ctx, log); !res.Success {
			b.Fatal(res.Message)
		}
	}
}

// BenchmarkProbeParallel shows runs per second when many probes share the
// machine, as on an agent with hundreds of targets.
func BenchmarkProbeParallel(b *testing.B) {
	s := httptest.NewServer(http.HandlerFunc(ok))
	defer s.Close()
	pr, err := New(s.URL, &Config{FailIfBodyNotMatchesRegexp: nil})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		for pb.Next() {
			if res := pr.Probe(ctx, log); !res.Success {
				b.Error(res.Message)
				return
			}
		}
	})
}
