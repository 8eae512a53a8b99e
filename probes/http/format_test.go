package http

import (
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

func TestFormat(t *testing.T) {
	pki := testutil.NewCerts(t)
	s := tlsServer(t, pki.Server(t), true, ok)
	res := probe(t, s.URL, &Config{TLSConfig: TLSConfig{CAFile: pki.CAFile}})
	probetest.WantSuccess(t, res)
	var b strings.Builder
	if err := Format(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"OK HTTP/2.0 200 OK from 127.0.0.1:",
		"DNS Lookup", "TCP Connection", "TLS Handshake", "Server Processing", "Content Transfer",
		"namelookup:", "connect:", "pretransfer:", "starttransfer:", "total:",
		"status 200, HTTP/2, body 3 bytes", "IPv4", "TLS 1.3, TLS_",
		"certificate subject: CN=test server", "earliest certificate expiry", "(in 11 hours)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Plain HTTP has no TLS column; a failure says why.
	res = probe(t, "http://nothing.invalid/", nil)
	b.Reset()
	Format(&b, res)
	out = b.String()
	if !strings.HasPrefix(out, "FAILED (dns): lookup nothing.invalid: no such host\n") || strings.Contains(out, "TLS") {
		t.Errorf("failure output:\n%s", out)
	}

	// A result without samples (from another kind) still prints.
	b.Reset()
	Format(&b, probes.Fail(probes.ReasonInternal, "boom"))
	if !strings.Contains(b.String(), "FAILED (internal): boom") {
		t.Errorf("bare result output:\n%s", b.String())
	}
}
