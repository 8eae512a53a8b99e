package http

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// The debug trace shows each step of the run and never a credential.
func TestDebugTrace(t *testing.T) {
	pki := testutil.NewCerts(t)
	s := tlsServer(t, pki.Server(t), true, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "server-cookie-value"})
		w.WriteHeader(http.StatusTeapot)
	})
	c := probetest.Section[Config](t, "headers: {X-Api-Key: key-value-123, Accept: text/plain}\nbearer_token: bearer-value-456")
	c.TLSConfig.CAFile = pki.CAFile
	p := newProber(t, s.URL, c)

	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	res := p.Probe(ctx, log)
	probetest.WantFail(t, res, probes.ReasonStatusCode, "status code 418")
	out := buf.String()
	for _, want := range []string{
		"msg=request", "method=GET", "Accept: text/plain", "X-Api-Key: <secret>", "Authorization: <secret>",
		"msg=connected", "addr=127.0.0.1:",
		`msg="tls handshake"`, `version="TLS 1.3"`, "alpn=h2", "cert0.subject=\"CN=test server\"", "cert0.names=localhost,127.0.0.1",
		"msg=response", `status="418 I'm a teapot"`, "Set-Cookie: <secret>",
		"msg=result", "reason=status_code", "processing=",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("debug trace lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"key-value-123", "bearer-value-456", "server-cookie-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("debug trace shows a secret %q", secret)
		}
	}

	// Without debug, nothing is logged at all.
	buf.Reset()
	quiet := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	p.Probe(ctx, quiet)
	if buf.Len() > 0 {
		t.Errorf("logged without debug: %s", buf.String())
	}
}

func TestDebugTraceDNSAndRedirect(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/next", http.StatusFound)
		}
	})
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := newProber(t, strings.Replace(s.URL, "127.0.0.1", "localhost", 1), nil)
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	probetest.WantSuccess(t, p.Probe(ctx, log))
	for _, want := range []string{"msg=resolved host=localhost ip=127.0.0.1", "msg=redirect", "/next", "status=\"302 Found\""} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("debug trace lacks %q:\n%s", want, buf.String())
		}
	}
}

// The debug output hides a header's value by the names /config hides
// (conf.SensitiveName), one list for both: a JWT or a credential in a
// header of its own name is hidden in each.
func TestHeaderTextHidesWhatConfigHides(t *testing.T) {
	h := http.Header{}
	for _, name := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key",
		"X-Auth-Token", "X-Jwt-Assertion", "X-Client-Credential", "X-Amz-Signature", "X-Private-Id", "Accept", "X-Request-Id"} {
		h.Set(name, "value-of-"+name)
	}
	out := HeaderText(h)
	for name := range h {
		shown := strings.Contains(out, "value-of-"+name)
		if hidden := conf.SensitiveName(name); shown == hidden {
			t.Errorf("%s shown %v, but /config hides it: %v\n%s", name, shown, hidden, out)
		}
	}
	for _, name := range []string{"Accept", "X-Request-Id"} {
		if !strings.Contains(out, name+": value-of-"+name) {
			t.Errorf("%s is hidden:\n%s", name, out)
		}
	}
}
