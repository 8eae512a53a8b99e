package agent

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"
)

// An agent whose state directory is on a read-only mount says so, and what
// to change, rather than blaming the config.
func TestReadOnlyStateDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a read-only bind mount needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare (util-linux)")
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "sloagent.yml")
	if err := os.WriteFile(cfgFile, []byte("probes:\n  - {name: up, target: http://127.0.0.1:1/}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The mount is the agent's own: a mount namespace of its own.
	script := fmt.Sprintf("mount --bind %[1]s %[1]s && mount -o remount,bind,ro %[1]s && exec %[2]s --config.file=%[3]s --storage.path=%[1]s --web.listen-address=127.0.0.1:0",
		state, testutil.AgentBinary(t), cfgFile)
	out, err := exec.Command(unshare, "-m", "sh", "-c", script).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	want := "the state directory " + state + " cannot be written (open " + state + "/.sloagent-write-check-"
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), "read-only file system): the agent keeps SLO state") ||
		!strings.Contains(string(out), "agent.state_dir or --storage.path") || strings.Contains(string(out), "running config") {
		t.Errorf("output:\n%s", out)
	}
}
