package probetest

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// Section decodes src, YAML, into a new section of type C.
func Section[C any](t testing.TB, src string) *C {
	t.Helper()
	c := new(C)
	if err := yaml.Unmarshal([]byte(src), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// New builds kind's prober of target and section (a pointer to the kind's
// config type) as the agent does, with timeout as the probe's, and closes
// it when the test ends.
func New(t testing.TB, kind *probes.Kind, target string, section any, timeout time.Duration) probes.Prober {
	t.Helper()
	p, err := kind.Build(probes.Spec{Name: "test", Target: target, Timeout: timeout, Section: section})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c, ok := p.(probes.Closer); ok {
		t.Cleanup(func() { c.Close() })
	}
	return p
}

// Probe builds the prober as New does, runs it once within timeout and
// checks that kind declares every sample of the result (dynamic as in
// Declared).
func Probe(t testing.TB, kind *probes.Kind, target string, section any, timeout time.Duration, dynamic ...string) probes.Result {
	t.Helper()
	res := Run(t, New(t, kind, target, section, timeout), timeout)
	Declared(t, kind, res, dynamic...)
	return res
}

// Bench runs p once an iteration, each run within 2s, and stops at the
// first that fails.
func Bench(b *testing.B, p probes.Prober) {
	b.Helper()
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

// Listen listens on a loopback address of network: tcp6 on [::1], any
// other on 127.0.0.1. The caller closes the listener.
func Listen(t testing.TB, network string) net.Listener {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "tcp6" {
		addr = "[::1]:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// Valid fails the test if the file has any problem as a section decoded
// into out (see Problems).
func Valid(t testing.TB, path string, out Validator, env map[string]string) {
	t.Helper()
	if ps := Problems(t, path, out, env); len(ps) > 0 {
		t.Fatalf("problems in a valid config:\n%s", strings.Join(ps, "\n"))
	}
}

// Targets checks a kind's target validation: want maps each target to the
// problems validate reports for it, as printed ("" for none).
func Targets(t testing.TB, validate func(r conf.Report, target string), want map[string]string) {
	t.Helper()
	for target, want := range want {
		r := conf.NewReport()
		validate(r, target)
		got := ""
		for _, p := range r.Problems() {
			got += p.String()
		}
		if got != want {
			t.Errorf("ValidateTarget(%q) = %q, want %q", target, got, want)
		}
	}
}

// Accept serves a loopback listener of network until the test ends,
// calling handle with each connection on the one accepting goroutine:
// for a server whose every answer is short, so that a benchmark's figures
// hold little of the server's own (no goroutine a connection). handle
// closes the connection.
func Accept(t testing.TB, network string, handle func(net.Conn)) string {
	t.Helper()
	ln := Listen(t, network)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			handle(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// Serve hands each connection to ln to handle, on a goroutine of its own
// and with a deadline of 10s, and returns ln's address. When the test ends
// it closes ln and waits for the handlers.
func Serve(t testing.TB, ln net.Listener, handle func(net.Conn)) string {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}
