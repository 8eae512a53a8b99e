package command

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/proctree"
	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

func TestMain(m *testing.M) {
	proctree.Main()
	if os.Getenv("COMMAND_TEST_HOST") != "" {
		hostMain() // the agent stand-in of TestAgentKilledLeavesNoCheck
	}
	os.Exit(m.Run())
}

const pluginDir = "/usr/lib/nagios/plugins"

func monitoringPlugin(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(pluginDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%v (install Debian's monitoring-plugins-basic)", err)
	}
	return p
}

// script writes a shell script check into a temporary directory.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "check")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func probe(t *testing.T, target string, c *Config, timeout time.Duration) probes.Result {
	t.Helper()
	r := conf.NewReport()
	c.Validate(r)
	if !r.Empty() {
		t.Fatalf("config: %v", r.Problems())
	}
	p, err := New(target, c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Probe(ctx, slog.New(slog.DiscardHandler))
}

func sample(r probes.Result, name, label string) (float64, bool) {
	for _, s := range r.Samples {
		if s.Name != name {
			continue
		}
		if label == "" || (len(s.Labels) > 0 && s.Labels[0].Value == label) {
			return s.Value, true
		}
	}
	return 0, false
}

func TestCheckTCP(t *testing.T) {
	t.Parallel()
	open := probetest.Accept(t, "tcp4", func(c net.Conn) { c.Close() })
	c := &Config{Path: monitoringPlugin(t, "check_tcp"), Args: []string{"-H", "{{host}}", "-p", "{{port}}"}}
	r := probe(t, open, c, 5*time.Second)
	if !r.Success || !strings.HasPrefix(r.Message, "TCP OK") {
		t.Fatalf("check_tcp: %+v", r)
	}
	if v, ok := sample(r, "probe_command_perfdata", "time"); !ok || v < 0 || v > 5 {
		t.Errorf("time perfdata: %v %v (%+v)", v, ok, r.Samples)
	}
	if v, ok := sample(r, "probe_command_perfdata_max", "time"); !ok || v != 10 {
		t.Errorf("time max: %v %v", v, ok)
	}
	if v, ok := sample(r, "probe_command_exit_code", ""); !ok || v != 0 {
		t.Errorf("exit code: %v %v", v, ok)
	}

	addr := testutil.FreeAddr(t)
	r = probe(t, addr, c, 5*time.Second)
	if r.Success || r.Reason != probes.ReasonCheckCritical || !strings.Contains(r.Message, "refused") {
		t.Fatalf("check_tcp on a closed port: %+v", r)
	}
	if v, _ := sample(r, "probe_command_exit_code", ""); v != 2 {
		t.Errorf("exit code %v", v)
	}
}

func TestCheckHTTP(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			fmt.Fprint(w, "checkout is up")
		default:
			http.Error(w, "nope", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	c := &Config{Path: monitoringPlugin(t, "check_http"),
		Args: []string{"-I", "{{host}}", "-p", "{{port}}", "-u", "/ok", "-s", "checkout is up"}}
	r := probe(t, srv.URL, c, 5*time.Second)
	if !r.Success || !strings.HasPrefix(r.Message, "HTTP OK") {
		t.Fatalf("check_http: %+v", r)
	}
	if v, ok := sample(r, "probe_command_perfdata", "size"); !ok || v < float64(len("checkout is up")) { // headers and body
		t.Errorf("size perfdata: %v %v (%+v)", v, ok, r.Samples)
	}
	c.Args = []string{"-I", "{{host}}", "-p", "{{port}}", "-u", "/broken"}
	r = probe(t, srv.URL, c, 5*time.Second)
	if r.Success || r.Reason != probes.ReasonCheckCritical || !strings.Contains(r.Message, "500") {
		t.Fatalf("check_http on a 500: %+v", r)
	}
}

func TestExitStatuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body             string
		warningIsSuccess bool
		success          bool
		reason, message  string
	}{
		{"echo 'OK - fine | a=1'", false, true, "", "OK - fine"},
		{"echo 'WARNING - slow | rt=1500ms;1000;2000'; exit 1", false, false, probes.ReasonCheckWarning, "WARNING - slow"},
		{"echo 'WARNING - slow'; exit 1", true, true, "", "WARNING - slow"},
		{"echo 'CRITICAL - down'; exit 2", false, false, probes.ReasonCheckCritical, "CRITICAL - down"},
		{"echo 'UNKNOWN - cannot tell'; exit 3", false, false, probes.ReasonCheckUnknown, "UNKNOWN - cannot tell"},
		{"echo oops; exit 42", false, false, probes.ReasonCheckUnknown, "exit status 42 is not a plugin status: oops"},
		{"echo 'to stderr' >&2; exit 2", false, false, probes.ReasonCheckCritical, "to stderr"},
		{"exit 2", false, false, probes.ReasonCheckCritical, "exit status 2, no output"},
		{"kill -TERM $$", false, false, probes.ReasonCheckUnknown, "check ended by signal: terminated"},
	} {
		c := &Config{Path: script(t, tc.body+"\n"), WarningIsSuccess: tc.warningIsSuccess}
		r := probe(t, "x", c, 5*time.Second)
		if r.Success != tc.success || r.Reason != tc.reason || !strings.HasPrefix(r.Message, tc.message) {
			t.Errorf("%q: %+v", tc.body, r)
		}
	}
	r := probe(t, "x", &Config{Path: script(t, "echo 'WARNING - slow | rt=1500ms;1000;2000'; exit 1\n")}, 5*time.Second)
	if v, ok := sample(r, "probe_command_perfdata", "rt"); !ok || v != 1.5 {
		t.Errorf("rt: %v %v", v, ok)
	}
}

func TestTargetAndEnvironment(t *testing.T) {
	t.Setenv("SLOAGENT_HIDDEN", "agent-only")
	t.Setenv("SLOAGENT_SHARED", "shared")
	c := &Config{
		Path:       script(t, `echo "OK - $1 $2 $3 $4 t=$SLOAGENT_TARGET tok=$TOKEN shared=$SLOAGENT_SHARED hidden=$SLOAGENT_HIDDEN lc=$LC_ALL"`+"\n"),
		Args:       []string{"{{target}}", "$TARGET", "{{host}}", "{{port}}"},
		Env:        map[string]conf.Secret{"TOKEN": "s3cret"},
		InheritEnv: []string{"SLOAGENT_SHARED"},
	}
	r := probe(t, "https://[::1]/x", c, 5*time.Second)
	want := "OK - https://[::1]/x https://[::1]/x ::1 443 t=https://[::1]/x tok=s3cret shared=shared hidden= lc=C"
	if !r.Success || r.Message != want {
		t.Fatalf("got %q\nwant %q", r.Message, want)
	}
}

// A check that hangs, with a child that holds its stdout, is killed with
// its whole process group at the deadline.
func TestTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	pids := filepath.Join(t.TempDir(), "pids")
	c := &Config{Path: script(t, "sleep 300 &\necho $! > "+pids+"\necho $$ >> "+pids+"\necho 'starting'\nsleep 300\n")}
	start := time.Now()
	r := probe(t, "x", c, 500*time.Millisecond)
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("took %s", took)
	}
	if r.Success || r.Reason != probes.ReasonTimeout || !strings.Contains(r.Message, "killed it and every process it started") {
		t.Fatalf("hanging check: %+v", r)
	}
	checkGone(t, pids)
}

// A check that exits but leaves a child holding its output does not make
// the probe wait for the child, and the child is killed.
func TestLeftoverChildKilled(t *testing.T) {
	t.Parallel()
	pids := filepath.Join(t.TempDir(), "pids")
	c := &Config{Path: script(t, "sleep 300 &\necho $! > "+pids+"\necho 'OK - done | a=1'\n")}
	start := time.Now()
	r := probe(t, "x", c, 10*time.Second)
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("took %s", took)
	}
	if !r.Success || r.Message != "OK - done" {
		t.Fatalf("%+v", r)
	}
	checkGone(t, pids)
}

func TestOutputBounded(t *testing.T) {
	t.Parallel()
	c := &Config{Path: script(t, "echo 'OK - big'\nhead -c 10000000 /dev/zero\n")}
	r := probe(t, "x", c, 10*time.Second)
	if !r.Success || r.Message != "OK - big" {
		t.Fatalf("%+v", r)
	}
}

// A long status line of multi-byte characters is cut between characters:
// the message stays valid UTF-8 for the state, the status page and alerts.
func TestLongMessageCutBetweenCharacters(t *testing.T) {
	t.Parallel()
	c := &Config{Path: script(t, "echo 'CRITICAL - "+strings.Repeat("é", 1000)+"'; exit 2\n")}
	r := probe(t, "x", c, 10*time.Second)
	if r.Reason != probes.ReasonCheckCritical || !utf8.ValidString(r.Message) ||
		!strings.HasPrefix(r.Message, "CRITICAL - éé") || !strings.HasSuffix(r.Message, "é [1500 bytes cut]") {
		t.Fatalf("%+v", r)
	}
}

func checkGone(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			st, err := os.ReadFile("/proc/" + f + "/stat")
			if err != nil || strings.Contains(string(st), ") Z") {
				break
			}
			if time.Now().After(end) {
				t.Errorf("process %d still runs: %s", pid, st)
				break
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{}, "path: missing path of the check command"},
		{Config{Path: "check_tcp"}, `path: path "check_tcp" must be absolute`},
		{Config{Path: "/nonexistent/check"}, "path: stat /nonexistent/check: no such file or directory"},
		{Config{Path: "/etc/passwd"}, "path: /etc/passwd is not an executable file"},
		{Config{Path: "/bin/sh", Env: map[string]conf.Secret{"A-B": "x"}}, `env.A-B: invalid environment variable name "A-B"`},
		{Config{Path: "/bin/sh", InheritEnv: []string{"1X"}}, `inherit_env[0]: invalid environment variable name "1X"`},
		{Config{Path: "/bin/sh", Dir: "/etc/passwd"}, "dir: /etc/passwd is not a directory"},
	} {
		r := conf.NewReport()
		tc.c.Validate(r)
		if ps := r.Problems(); len(ps) != 1 || ps[0].String() != tc.want {
			t.Errorf("%+v: %v, want %s", tc.c, ps, tc.want)
		}
	}
}
