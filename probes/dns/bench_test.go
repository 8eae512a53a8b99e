package dns

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// BenchmarkProbe is one A query over UDP to a local server, with a record
// check.
func BenchmarkProbe(b *testing.B) {
	addr := serve(b, "udp", nil)
	c := &Config{}
	if err := yaml.Unmarshal([]byte(`{query_name: example.test, query_type: A, validate_answer_rrs: {fail_if_not_matches_regexp: ['IN\tA\t192\.0\.2\.']}}`), c); err != nil {
		b.Fatal(err)
	}
	p, err := New(addr, c)
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
