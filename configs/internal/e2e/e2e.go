// Package e2e runs the real programs the shipped configs are for (the
// agent binary with the environment a deployment gives it, tools pinned in
// tools/go.mod) on loopback, for the tests of configs/deploy and
// configs/dashboards. Building the binary, Prometheus and the waits are
// internal/testutil's.
package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

// Root is the repository's directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Tool runs a program pinned in tools/go.mod (go tool NAME ARGS) with
// stdin, and returns its standard output.
func Tool(t testing.TB, stdin io.Reader, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", append([]string{"-C", filepath.Join(Root(), "tools"), "tool", name}, args...)...)
	cmd.Stdin = stdin
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go tool %s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// Process is a running program whose output is kept for the test's log.
type Process struct {
	Addr string
	cmd  *exec.Cmd
	logs *testutil.Buffer
	done chan struct{}
}

// Logs is what the process wrote so far.
func (p *Process) Logs() string { return p.logs.String() }

// Stop ends the process with SIGTERM (SIGKILL after 10 s) and waits.
func (p *Process) Stop() { testutil.Stop(p.cmd.Process, p.done) }

func start(t testing.TB, cmd *exec.Cmd, ready func(line string) bool) *Process {
	t.Helper()
	p := &Process{cmd: cmd, logs: &testutil.Buffer{}, done: make(chan struct{})}
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	up := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			fmt.Fprintln(p.logs, sc.Text())
			if ready(sc.Text()) {
				once.Do(func() { close(up) })
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s:\n%s", filepath.Base(cmd.Path), p.Logs())
		}
	})
	select {
	case <-up:
	case <-p.done:
		t.Fatalf("%s exited:\n%s", cmd.Path, p.Logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start within 60s:\n%s", cmd.Path, p.Logs())
	}
	return p
}

var startedRE = regexp.MustCompile(`msg="sloagent started".* address=(\S+)`)

// StartAgent runs the agent binary with args and the environment env (on
// top of PATH and HOME), and waits until it serves.
func StartAgent(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(testutil.AgentBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var addr string
	p := start(t, cmd, func(line string) bool {
		if m := startedRE.FindStringSubmatch(line); m != nil {
			addr = m[1]
			return true
		}
		return false
	})
	p.Addr = addr
	return p
}

// Scrape returns the sample lines of an agent's /metrics.
func Scrape(t testing.TB, addr string) []string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var lines []string
	for _, l := range strings.Split(string(body), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines
}
