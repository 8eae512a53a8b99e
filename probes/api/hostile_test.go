package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

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
