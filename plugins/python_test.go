package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/testutil"
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

// loudPlugin ends its calls with a status of its own, as a plugin written
// without an SDK may, and says of itself more than anyone reads; SDK is
// the Python SDK's directory.
const loudPlugin = `import os, sys
sys.path.insert(0, SDK)
import grpc
import sloagent_plugin as sp

def abort(self, request, context):
    context.abort(grpc.StatusCode.UNKNOWN, "caf\u00e9 " * 100000)

sp._Service.probe = abort
sp._Service.validate = abort
if os.environ.get("LOUD_DESCRIBE"):
    sp._Service.describe = abort
sp.serve(lambda req: sp.Response(success=True), name="loud", version="1." * 100000,
         settings=[{"name": "s" * 100000, "required": True}], validate=lambda req: [])
`

// What a plugin says, however long, reaches runs, check-config and logs
// cut short between characters.
func TestPluginLongStatusText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sdkDir, err := filepath.Abs("python")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "loud.py")
	if err := os.WriteFile(script, []byte("#!/usr/bin/python3\nSDK = "+`"`+sdkDir+`"`+"\n"+loudPlugin), 0o755); err != nil {
		t.Fatal(err)
	}
	off := false
	c := Config{Name: "loud", Command: script, AutoMTLS: &off, Env: map[string]conf.Secret{"PYTHONDONTWRITEBYTECODE": "1"}}
	c.Defaults()
	bounded := func(what, s string) {
		t.Helper()
		if len(s) > 2*maxMessage || !utf8.ValidString(s) || !strings.Contains(s, "bytes cut]") {
			t.Errorf("%s: %d bytes, valid UTF-8 %v: %.200q", what, len(s), utf8.ValidString(s), s)
		}
	}

	s, lb := supervise(t, c)
	r := run(t, s, "x", &ProbeConfig{Name: "loud"}, 10*time.Second)
	if r.Success || r.Reason != probes.ReasonPluginUnavailable || !strings.HasPrefix(r.Message, `plugin "loud": Unknown: café café`) {
		t.Fatalf("%.300q", fmt.Sprintf("%+v", r))
	}
	bounded("run message", r.Message)
	if st := s.Status()[0]; st.Restarts != 0 || len(st.Version) > 300 || !strings.HasPrefix(st.Version, "1.1.") {
		t.Errorf("status: restarts %d, version of %d bytes", st.Restarts, len(st.Version))
	}
	for _, line := range strings.Split(lb.String(), "\n") {
		if len(line) > 4*maxMessage {
			t.Errorf("log line of %d bytes: %.200q", len(line), line)
		}
	}

	r2 := conf.NewReport()
	pc := &ProbeConfig{Name: "loud", Settings: map[string]any{"other": 1}}
	Check(context.Background(), []Config{c}, r2.At("plugins"), []CheckedProbe{{Name: "p", Target: "x", Section: pc, Report: r2.Index("probes", 0)}},
		slog.New(slog.NewTextHandler(&testutil.Buffer{}, nil)))
	problems := r2.Problems()
	if len(problems) != 3 {
		t.Fatalf("check: %d problems: %.600q", len(problems), fmt.Sprint(problems))
	}
	for _, p := range problems {
		bounded("check", p.Msg)
	}

	// A Describe that fails keeps the plugin from starting; each run
	// quotes why.
	c.Env["LOUD_DESCRIBE"] = "1"
	s, _ = supervise(t, c)
	r = run(t, s, "x", &ProbeConfig{Name: "loud"}, 10*time.Second)
	if r.Success || !strings.Contains(r.Message, "Describe failed: rpc error: code = Unknown desc = café café") {
		t.Fatalf("%.300q", fmt.Sprintf("%+v", r))
	}
	bounded("run message while not started", r.Message)
}
