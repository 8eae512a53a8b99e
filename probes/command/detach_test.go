//go:build linux

package command

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
)

// escapeScript leaves behind, holding the check's stdout and stderr, a
// child that left the process group with setsid and one in a daemon's way
// (fork, setsid, fork, the middle one exits), and writes their pids to file.
func escapeScript(file string) string {
	return fmt.Sprintf(`f=%s
setsid sleep 300 & echo $! >> $f
(setsid sh -c 'sleep 300 & echo $! >> '$f'; exec sleep 301' &)
while [ "$(wc -l < $f)" -lt 2 ]; do sleep 0.01; done
`, file)
}

// probeBounded runs a probe and fails the test if it does not return well
// within bound, rather than hanging the test binary.
func probeBounded(t *testing.T, c *Config, timeout, bound time.Duration) probes.Result {
	t.Helper()
	ch := make(chan probes.Result, 1)
	go func() { ch <- probe(t, "x", c, timeout) }()
	select {
	case r := <-ch:
		return r
	case <-time.After(bound):
		t.Fatalf("the probe did not return within %s", bound)
		return probes.Result{}
	}
}

// A check whose children detach and keep its output open ends when the
// check does, the children are killed, and the next run works as well.
func TestDetachedChildren(t *testing.T) {
	t.Parallel()
	for run := 0; run < 2; run++ {
		pids := filepath.Join(t.TempDir(), "pids")
		c := &Config{Path: script(t, escapeScript(pids)+"echo 'OK - detached | a=1'\n")}
		start := time.Now()
		r := probeBounded(t, c, 5*time.Second, 20*time.Second)
		if took := time.Since(start); took > 4*time.Second {
			t.Errorf("run %d took %s", run, took)
		}
		if !r.Success || r.Message != "OK - detached" {
			t.Fatalf("run %d: %+v", run, r)
		}
		checkGone(t, pids)
	}
}

// At the timeout a hanging check's whole tree is killed, descendants that
// left its process group included, and the run ends then.
func TestTimeoutKillsDetachedChildren(t *testing.T) {
	t.Parallel()
	pids := filepath.Join(t.TempDir(), "pids")
	c := &Config{Path: script(t, escapeScript(pids)+"echo 'starting'\nsleep 300\n")}
	start := time.Now()
	r := probeBounded(t, c, 500*time.Millisecond, 20*time.Second)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s", took)
	}
	if r.Success || r.Reason != probes.ReasonTimeout {
		t.Fatalf("%+v", r)
	}
	checkGone(t, pids)
}

// SIGKILL of the agent while a check runs leaves nothing of the check,
// grandchildren that left its process group included.
func TestAgentKilledLeavesNoCheck(t *testing.T) {
	t.Parallel()
	pids := filepath.Join(t.TempDir(), "pids")
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), "COMMAND_TEST_HOST="+escapeScript(pids)+"echo $$ >> "+pids+"\nsleep 300\n",
		"COMMAND_TEST_DIR="+t.TempDir())
	host.Stderr = os.Stderr
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer host.Wait()
	defer host.Process.Kill()
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatalf("host: %v", err)
	}
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(pids); len(strings.Fields(string(b))) == 3 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the check did not start its children")
		}
	}
	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	checkGone(t, pids)
}

// hostMain runs the check in COMMAND_TEST_HOST as a probe and waits to be
// killed.
func hostMain() {
	path := filepath.Join(os.Getenv("COMMAND_TEST_DIR"), "check")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+os.Getenv("COMMAND_TEST_HOST")), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	p, err := New("x", &Config{Path: path})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("running")
	p.Probe(context.Background(), slog.New(slog.DiscardHandler))
	os.Exit(1)
}
