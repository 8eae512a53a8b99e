package testutil

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Child is the test binary run again as a process of its own, for tests
// that kill a process (the agent, a store's writer) and look at what it
// left: the child runs one test, or none and a TestMain branch, and
// prints what the parent waits for on its standard output.
type Child struct {
	Cmd *exec.Cmd
	out *bufio.Scanner
}

// StartChild runs the test binary with -test.run=run and env added to its
// environment, its standard error on the test's. It is killed when the
// test ends, or a minute after it starts.
func StartChild(t testing.TB, run string, env ...string) *Child {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+run)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	return &Child{Cmd: cmd, out: bufio.NewScanner(out)}
}

// Read calls fn with each line the child prints until fn returns false or
// the child's output ends. A line starting with "error" fails the test.
func (c *Child) Read(t testing.TB, fn func(line string) bool) {
	t.Helper()
	for c.out.Scan() {
		line := c.out.Text()
		if strings.HasPrefix(line, "error") {
			t.Fatal(line)
		}
		if !fn(line) {
			return
		}
	}
}

// Line returns the next line the child prints, failing the test if it
// ends without one.
func (c *Child) Line(t testing.TB) string {
	t.Helper()
	if !c.out.Scan() {
		t.Fatalf("the child printed nothing: %v", c.out.Err())
	}
	return c.out.Text()
}

// KillAfter reads the child's output until it has printed n lines that
// start with prefix followed by a number ("flushed 120"), kills it, and
// returns the number of the last of them. It fails the test if the
// output ends before the n-th.
func (c *Child) KillAfter(t testing.TB, prefix string, n int) int64 {
	t.Helper()
	var last int64
	seen := 0
	c.Read(t, func(line string) bool {
		if v, ok := strings.CutPrefix(line, prefix+" "); ok {
			if _, err := fmt.Sscan(v, &last); err != nil {
				t.Fatalf("the child printed %q: %v", line, err)
			}
			seen++
		}
		return seen < n
	})
	c.Kill(t)
	if seen < n {
		t.Fatalf("the child stopped after %d of %d %q lines", seen, n, prefix)
	}
	return last
}

// Kill kills the child (SIGKILL on Unix) and waits for it to be gone.
func (c *Child) Kill(t testing.TB) {
	t.Helper()
	if err := c.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.Cmd.Wait()
}
