package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// A value taken from a response that cannot go into a header fails the
// step that would send it, saying so, and that request is not sent: over
// plain HTTP a NUL went out as it was and a CR or LF became a space.
func TestExtractedValueInvalidInHeader(t *testing.T) {
	for name, token := range map[string]string{"CRLF": `a\r\nX-Injected: 1`, "NUL": `a\u0000b`} {
		t.Run(name, func(t *testing.T) {
			var sent atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/use" {
					sent.Add(1)
				}
				io.WriteString(w, `{"token": "`+token+`"}`)
			}))
			t.Cleanup(srv.Close)
			res := probetest.Run(t, newProber(t, srv.URL, `
steps:
  - name: login
    request: {url: "{{target}}/login"}
    extract: [{name: token, json_path: $.token, secret: true}]
  - name: use
    request: {url: "{{target}}/use", headers: {Authorization: "Bearer {{token}}"}}
`), timeout)
			probetest.WantFail(t, res, probes.ReasonInternal,
				`step "use" (GET `+srv.URL+`/use): bad request: invalid value of header Authorization: control characters are not allowed`)
			if n := sent.Load(); n != 0 {
				t.Errorf("the request went out %d times", n)
			}
		})
	}
}

// A URL made of a value of half a megabyte taken from a response is named
// in part by the failure of the step that requests it.
func TestHugeExtractedValueInURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			io.WriteString(w, `{"next": "`+strings.Repeat("n", 500<<10)+`"}`)
			return
		}
		http.Error(w, "no", http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	res := probetest.Run(t, newProber(t, srv.URL, `
steps:
  - name: login
    request: {url: "{{target}}/login"}
    extract: [{name: next, json_path: $.next}]
  - name: next
    request: {url: "{{target}}/{{next}}"}
`), 30*time.Second) // to fail by the status, however slow the machine
	probetest.WantFail(t, res, probes.ReasonStatusCode, `step "next" (GET `+srv.URL+`/nnn`)
	probetest.WantFail(t, res, probes.ReasonStatusCode, "status 404, want 2xx")
	if len(res.Message) > 1<<10 {
		t.Errorf("the message is %d bytes long", len(res.Message))
	}
}

// A value quoted in a failure is redacted before it is cut short: a secret
// straddling the cut showed its first characters.
func TestSecretStraddlingTheCut(t *testing.T) {
	const token = "tok-S3CRET-VALUE"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"token": "`+token+`", "echo": "`+strings.Repeat("x", 195)+token+strings.Repeat("y", 1000)+`"}`)
	}))
	t.Cleanup(srv.Close)
	res := probetest.Run(t, newProber(t, srv.URL, `
steps:
  - name: login
    request: {url: "{{target}}/"}
    extract: [{name: token, json_path: $.token, secret: true}]
  - name: echo
    request: {url: "{{target}}/"}
    assertions: [{json_path: $.echo, equals: nothing}]
`), timeout)
	probetest.WantFail(t, res, probes.ReasonAssertion, `step "echo" (GET `+srv.URL+`/): json_path $.echo is "xxx`)
	if strings.Contains(res.Message, token[:5]) {
		t.Errorf("part of the secret is in the message: %s", res.Message)
	}
}

// The debug log shows a body redacted, then cut short.
func TestSecretStraddlingTheLoggedBody(t *testing.T) {
	const token = "tok-S3CRET-VALUE"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"token": "`+token+`", "pad": "`+strings.Repeat("x", maxLoggedBody-50)+token+`"}`)
	}))
	t.Cleanup(srv.Close)
	res, log := probetest.RunDebug(t, newProber(t, srv.URL, `
steps:
  - name: login
    request: {url: "{{target}}/"}
    extract: [{name: token, json_path: $.token, secret: true}]
`), timeout)
	probetest.WantSuccess(t, res)
	if !strings.Contains(log, "xxx") || strings.Contains(log, token[:5]) {
		t.Errorf("the debug log shows part of the secret, or no body:\n%s", log)
	}
}
