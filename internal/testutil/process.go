package testutil

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer is a log sink that a test can read while a program or the agent
// writes to it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Lines returns the lines written so far that contain substr.
func (s *Buffer) Lines(substr string) []string {
	var out []string
	for _, line := range strings.Split(s.String(), "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}

// Start runs a program (Prometheus, Alertmanager, the Pushgateway) for the
// test, with its output in the returned buffer, and stops it with SIGTERM
// (SIGKILL after 10 s) when the test ends. A failed test logs the
// program's output.
func Start(t testing.TB, bin string, args ...string) *Buffer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	logs := &Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		Stop(cmd.Process, done)
		if t.Failed() {
			t.Logf("%s's output:\n%s", bin, logs.String())
		}
	})
	return logs
}

// Stop ends a program a test started with SIGTERM, and with SIGKILL if it
// has not exited 10 s later; done closes once the program has been waited
// for.
func Stop(p *os.Process, done <-chan struct{}) {
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.Kill()
		<-done
	}
}

// LookPath finds a program the test needs, failing with the Debian package
// to install when it is missing (scripts/test installs them all).
func LookPath(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install Debian's %s package (scripts/test does)", name, pkg)
	}
	return p
}
