package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/agent/schedule"
)

// An agent started with --shard=auto in a UTS namespace whose host name is
// a StatefulSet pod's takes its ordinal from the real host name, the way
// it does in a pod where nothing sets SLOAGENT_HOSTNAME.
func TestShardAutoFromTheSystemHostName(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare(1) to set a host name in a UTS namespace")
	}
	ok, _ := targets(t)
	var probes string
	for i := range 12 {
		probes += fmt.Sprintf("  - {name: svc-%d, target: %s}\n", i, ok.URL)
	}
	cfg := writeConfig(t, t.TempDir(), "auto.yml", "probes:\n"+probes)
	seen := map[string]int{}
	for i := range 3 {
		host := fmt.Sprintf("sloagent-%d", i)
		cmd := exec.Command(unshare, "--uts", "sh", "-c", `hostname "$0" && exec "$@"`, host,
			testutil.AgentBinary(t), "once", "--config.file="+cfg, "--shard=auto", "--output=json", "--storage.path="+t.TempDir())
		cmd.Env = append(os.Environ(), schedule.EnvShards+"=3")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("once as %s: %v\n%s", host, err, out)
		}
		var sum struct {
			Probes []struct{ Probe string }
		}
		if err := json.Unmarshal(out, &sum); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		for _, p := range sum.Probes {
			if !(schedule.Shard{Index: i, Count: 3}).Keeps(p.Probe) {
				t.Errorf("%s ran %s, which is another shard's", host, p.Probe)
			}
			seen[p.Probe]++
		}
	}
	for i := range 12 {
		if name := fmt.Sprintf("svc-%d", i); seen[name] != 1 {
			t.Errorf("%s ran on %d agents", name, seen[name])
		}
	}
}
