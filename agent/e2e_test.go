package agent

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

// process is a started sloagent binary.
type process struct {
	cmd  *exec.Cmd
	addr string
	logs *syncBuffer
	done chan error
}

var listenRE = regexp.MustCompile(`msg="sloagent started".* address=(\S+)`)

// startBinary runs sloagent with args, listening on a free loopback port,
// and waits until it serves.
func startBinary(t *testing.T, args ...string) *process {
	t.Helper()
	return startCommand(t, exec.Command, args...)
}

// startCommand is startBinary with the command made by command, which may
// run the binary under something else (ulimit, unshare).
func startCommand(t *testing.T, command func(bin string, args ...string) *exec.Cmd, args ...string) *process {
	t.Helper()
	args = append([]string{"--web.listen-address=127.0.0.1:0", "--storage.path=" + t.TempDir()}, args...)
	cmd := command(testutil.AgentBinary(t), args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.logs, line)
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-time.After(0)
	})
	select {
	case p.addr = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatalf("sloagent did not start:\n%s", p.logs.String())
	}
	return p
}

// terminate sends the agent SIGTERM and waits for it to exit, failing the
// test if it exits with an error or is still running after d (a bound
// for a hang, not a measure).
func (p *process) terminate(t *testing.T, d time.Duration) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("sloagent exited with %v after SIGTERM:\n%s", err, p.logs.String())
		}
	case <-time.After(d):
		t.Fatalf("sloagent did not stop within %v of SIGTERM:\n%s", d, p.logs.String())
	}
}

// startPrometheus runs a real Prometheus with config, ready.
func startPrometheus(t *testing.T, config string, extraArgs ...string) *testutil.Prometheus {
	t.Helper()
	return testutil.StartPrometheus(t, config, nil, extraArgs...)
}

// The whole path a user relies on: the built binary probes real targets and
// a real Prometheus scrapes it and answers probe_success; SIGHUP reloads,
// keeping the running config when the new one is broken; SIGTERM stops it.
func TestEndToEndWithPrometheus(t *testing.T) {
	ok, broken := targets(t)
	cfgFile := filepath.Join(t.TempDir(), "sloagent.yml")
	write := func(s string) {
		if err := os.WriteFile(cfgFile, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(`
agent: {name: e2e, location: lab}
probes:
  - {name: up, target: %s, interval: 500ms, timeout: 400ms}
  - {name: down, target: %s, interval: 500ms, timeout: 400ms}
`, ok.URL, broken.URL))
	agent := startBinary(t, "--config.file="+cfgFile)
	prom := startPrometheus(t, fmt.Sprintf(`
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: sloagent
    static_configs: [{targets: ["%s"]}]
`, agent.addr))

	waitFor(t, "Prometheus to have probe_success for both probes", func() bool {
		return len(prom.Query(t, `probe_success{job="sloagent"}`)) == 2
	})
	for _, s := range prom.Query(t, `probe_success{job="sloagent"}`) {
		want := map[string]float64{"up": 1, "down": 0}[s.Labels["probe"]]
		if s.Value != want || s.Labels["agent"] != "e2e" || s.Labels["location"] != "lab" {
			t.Errorf("probe_success %v = %v, want %v with agent and location labels", s.Labels, s.Value, want)
		}
	}
	waitFor(t, "the failure reason in Prometheus", func() bool {
		r := prom.Query(t, `probe_failures_total{probe="down",reason="status_code"}`)
		return len(r) == 1 && r[0].Value > 0
	})

	// A broken config on SIGHUP is refused and the old one keeps running.
	write("probes:\n  - {name: up, target: http://127.0.0.1/, interval: 1s, timeout: 5s}\n")
	if err := agent.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused reload to be logged", func() bool {
		return strings.Contains(agent.logs.String(), "keeping the running config")
	})
	// A good one is taken.
	write(fmt.Sprintf("agent: {name: e2e}\nprobes:\n  - {name: fresh, target: %s, interval: 500ms, timeout: 400ms}\n", ok.URL))
	if err := agent.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Prometheus to see the reloaded probe", func() bool {
		r := prom.Query(t, `probe_success{probe="fresh"}`)
		return len(r) == 1 && r[0].Value == 1
	})

	agent.terminate(t, 15*time.Second)
}

// SIGTERM with a run in flight against a target that never answers: the run
// is cancelled and the agent exits promptly, without waiting for the
// probe's long timeout.
func TestShutdownCancelsRunsInFlight(t *testing.T) {
	started := make(chan struct{}, 1)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}))
	defer hang.Close()
	cfgFile := filepath.Join(t.TempDir(), "sloagent.yml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(
		"probes:\n  - {name: hang, target: %s, interval: 2m, timeout: 100s}\n", hang.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startBinary(t, "--config.file="+cfgFile)
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the probe never reached the target")
	}
	begin := time.Now()
	p.terminate(t, 20*time.Second)
	t.Logf("stopped %s after SIGTERM", time.Since(begin).Round(time.Millisecond))
}
