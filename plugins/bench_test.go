package plugins

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
)

// BenchmarkProbe compares one run of the same trivial probe in process and
// through a plugin: the difference is what a plugin call costs (gRPC over a
// Unix socket with mTLS, JSON settings, result conversion).
//
//	go test -run '^$' -bench Probe ./plugins/
func BenchmarkProbe(b *testing.B) {
	log := slog.New(slog.DiscardHandler)
	b.Run("in-process", func(b *testing.B) {
		var calls int
		p := probes.ProberFunc(func(ctx context.Context, _ *slog.Logger) probes.Result {
			calls++
			return probes.Result{Success: true, Message: "ok", Samples: []probes.Sample{{Name: "testplugin_calls", Value: float64(calls)}}}
		})
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if r := p.Probe(ctx, log); !r.Success {
				b.Fatal(r)
			}
			cancel()
		}
	})
	for _, mtls := range []bool{true, false} {
		name := "plugin"
		if !mtls {
			name = "plugin-no-mtls"
		}
		b.Run(name, func(b *testing.B) {
			s, _ := supervise(b, Config{Name: "test", Command: pluginPath(b, "testplugin"), AutoMTLS: &mtls})
			waitRunning(b, s)
			p, err := s.Prober("bench", "ok", &ProbeConfig{Name: "test"})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				if r := p.Probe(ctx, log); !r.Success {
					b.Fatal(r)
				}
				cancel()
			}
		})
	}
}
