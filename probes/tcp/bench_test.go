package tcp

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// BenchmarkProbe is one run against a local server that greets: connect,
// read the greeting until it matches, close.
func BenchmarkProbe(b *testing.B) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "+OK ready\r\n")
			c.Close()
		}
	}()
	c := &Config{}
	if err := yaml.Unmarshal([]byte(`query_response: [{expect: '^\+OK'}]`), c); err != nil {
		b.Fatal(err)
	}
	p, err := New(ln.Addr().String(), c)
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
