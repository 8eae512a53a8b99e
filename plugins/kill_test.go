//go:build linux

package plugins

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestSIGKILLLeavesNoPlugin(t *testing.T) {
	t.Parallel()
	killHost(t, "SLOAGENT_TEST_HOST_RAW=")
}

// Without the parent-death signal, the SDK notices the agent is gone.
func TestPluginExitsWithoutParent(t *testing.T) {
	t.Parallel()
	killHost(t, "SLOAGENT_TEST_HOST_RAW=1")
}

// killHost runs a host process that starts the test plugin, kills the host
// with SIGKILL and waits for the plugin to be gone.
func killHost(t *testing.T, env string) {
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), "SLOAGENT_TEST_HOST="+pluginPath(t, "testplugin"), env)
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
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("host: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || !alive(pid) {
		t.Fatalf("plugin pid %q: %v", line, err)
	}
	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}
