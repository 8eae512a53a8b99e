//go:build linux

package plugins

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/internal/conf"
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
func killHost(t *testing.T, env ...string) {
	host := testutil.StartChild(t, "^$", append([]string{"SLOAGENT_TEST_HOST=" + pluginPath(t, "testplugin")}, env...)...)
	line := host.Line(t)
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || !alive(pid) {
		t.Fatalf("plugin pid %q: %v", line, err)
	}
	host.Kill(t)
	waitGone(t, pid)
}

// What a plugin starts, even if it leaves the plugin's process group, runs
// while the plugin does and ends with it.
func TestPluginGrandchildrenEndWithIt(t *testing.T) {
	t.Parallel()
	pids := filepath.Join(t.TempDir(), "pids")
	c := testPlugin(t, "grandchildren")
	c.Env["TESTPLUGIN_PIDS"] = conf.Secret(pids)
	s, _ := supervise(t, c)
	waitRunning(t, s)
	ps := readPids(t, pids, 2)
	for _, pid := range ps {
		if !alive(pid) {
			t.Fatalf("the plugin's process %d is not running", pid)
		}
	}
	if r := run(t, s, "ok", &ProbeConfig{Name: "test"}, 5*time.Second); !r.Success {
		t.Fatalf("%+v", r)
	}
	s.Close()
	for _, pid := range ps {
		waitGone(t, pid)
	}
}

// SIGKILL of the agent leaves nothing of a plugin, processes that left its
// process group included.
func TestSIGKILLLeavesNoGrandchild(t *testing.T) {
	t.Parallel()
	pids := filepath.Join(t.TempDir(), "pids")
	killHost(t, "SLOAGENT_TEST_HOST_RAW=", "SLOAGENT_TEST_HOST_PIDS="+pids)
	ps := readPids(t, pids, 2)
	for _, pid := range ps {
		waitGone(t, pid)
	}
}

func readPids(t *testing.T, file string, n int) []int {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(file)
		if f := strings.Fields(string(b)); len(f) >= n {
			var out []int
			for _, s := range f {
				pid, _ := strconv.Atoi(s)
				out = append(out, pid)
			}
			return out
		}
	}
	t.Fatalf("%s never had %d pids", file, n)
	return nil
}
