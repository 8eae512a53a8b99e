package plugins

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// The Python plugin proves the protocol is language-neutral: the same
// supervisor runs it, with and without go-plugin's AutoMTLS.
func TestPythonPlugin(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "checkout is up")
	}))
	t.Cleanup(srv.Close)
	script, err := filepath.Abs("python/http_status.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, mtls := range []bool{false, true} {
		t.Run(fmt.Sprintf("auto_mtls=%v", mtls), func(t *testing.T) {
			t.Parallel()
			s, lb := supervise(t, Config{Name: "py", Command: script, AutoMTLS: &mtls,
				Env: map[string]conf.Secret{"PYTHONDONTWRITEBYTECODE": "1"}})
			r := run(t, s, srv.URL+"/", &ProbeConfig{Name: "py", Settings: map[string]any{"body_contains": "checkout"}}, 10*time.Second)
			if !r.Success || !strings.HasPrefix(r.Message, "status 200") || len(r.Samples) != 1 ||
				r.Samples[0].Name != "probe_http_status_code" || r.Samples[0].Value != 200 {
				t.Fatalf("passing probe: %+v", r)
			}
			r = run(t, s, srv.URL+"/down", &ProbeConfig{Name: "py"}, 5*time.Second)
			if r.Success || r.Reason != probes.ReasonStatusCode || !strings.Contains(r.Message, "status 503") {
				t.Errorf("failing probe: %+v", r)
			}
			r = run(t, s, srv.URL+"/", &ProbeConfig{Name: "py", Settings: map[string]any{"body_contains": "nope"}}, 5*time.Second)
			if r.Reason != probes.ReasonBodyMismatch {
				t.Errorf("body mismatch: %+v", r)
			}
			r = run(t, s, srv.URL+"/", &ProbeConfig{Name: "py", Settings: map[string]any{"bogus": 1}}, 5*time.Second)
			if r.Reason != "config" || !strings.Contains(r.Message, "bogus") {
				t.Errorf("bad settings: %+v", r)
			}
			if st := s.Status()[0]; st.Version != "1.0.0" || st.Restarts != 0 {
				t.Errorf("status: %+v", st)
			}
			if log := lb.String(); !strings.Contains(log, "msg=fetched") || !strings.Contains(log, "status=200") {
				t.Errorf("plugin log not forwarded:\n%s", log)
			}
		})
	}
}
