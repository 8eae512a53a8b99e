package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/agent"
	"github.com/sloagent/sloagent/agent/config"
)

// The packages' unit is the hardened unit of configs/deploy with the
// packages' paths and static user, and nothing else changed.
func TestPackagedUnitFollowsTheDeployUnit(t *testing.T) {
	deploy := read(t, "../configs/deploy/sloagent.service")
	packaged := read(t, "sloagent.service")
	// Comments may differ; every setting must be the same but these.
	want := settings(deploy)
	want = replaceLine(want, "ExecStart=/usr/local/bin/sloagent \\", "ExecStart=/usr/bin/sloagent \\")
	want = replaceLine(want, "DynamicUser=yes", "User=sloagent", "Group=sloagent")
	got := settings(packaged)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("packaging/sloagent.service settings:\n%s\n\nwant (the deploy unit's, with the packages' paths and user):\n%s",
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	testutil.VerifyUnit(t, analyze, packaged, "/usr/bin/sloagent")
}

// The package's config runs with no environment variable at all, on the
// state directory and address the unit gives the agent.
func TestPackageConfigRunsAsItIs(t *testing.T) {
	cfg, err := config.LoadFile("../configs/package.yml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("configs/package.yml does not load without environment variables:\n%v", err)
	}
	unit := read(t, "sloagent.service")
	if cfg.Agent.StateDir != "/var/lib/sloagent" || !strings.Contains(unit, "StateDirectory=sloagent\n") {
		t.Errorf("state_dir %q is not the unit's state directory", cfg.Agent.StateDir)
	}
	for _, p := range cfg.Probes {
		if !strings.HasPrefix(string(p.Target), "http://127.0.0.1:9470/") || !strings.Contains(unit, "--web.listen-address=:9470") {
			t.Errorf("probe %s targets %s, not the agent on the unit's address", p.Name, p.Target)
		}
	}
	var stdout, stderr strings.Builder
	if code := agent.Main([]string{"check-config", "../configs/package.yml"}, &stdout, &stderr); code != 0 {
		t.Errorf("check-config: %d\n%s", code, stderr.String())
	}
}

// Every file nfpm.yaml packs exists, and the maintainer scripts parse.
func TestNfpmConfigNamesRealFiles(t *testing.T) {
	var c struct {
		Contents []struct {
			Src, Dst, Type string
		}
		Scripts map[string]string
	}
	if err := yaml.Unmarshal([]byte(read(t, "nfpm.yaml")), &c); err != nil {
		t.Fatal(err)
	}
	dsts := map[string]bool{}
	for _, f := range c.Contents {
		dsts[f.Dst] = true
		if strings.HasPrefix(f.Src, "${") {
			continue // the binary, filled in by scripts/release
		}
		if _, err := os.Stat(filepath.Join("..", f.Src)); err != nil {
			t.Errorf("%s -> %s: %v", f.Src, f.Dst, err)
		}
	}
	for _, want := range []string{"/usr/bin/sloagent", "/usr/lib/systemd/system/sloagent.service", "/etc/sloagent/agent.yml"} {
		if !dsts[want] {
			t.Errorf("the packages do not install %s", want)
		}
	}
	if !strings.Contains(read(t, "sloagent.service"), "--config.file=/etc/sloagent/agent.yml") {
		t.Error("the unit does not run the packaged config")
	}
	for _, which := range []string{"postinstall", "preremove", "postremove"} {
		script := c.Scripts[which]
		if script == "" {
			t.Errorf("no %s script", which)
			continue
		}
		if out, err := exec.Command("sh", "-n", filepath.Join("..", script)).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", script, err, out)
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// settings are a unit's lines without comments and blank lines.
func settings(unit string) []string {
	var out []string
	for _, l := range strings.Split(unit, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// replaceLine replaces the line old of lines with the lines new.
func replaceLine(lines []string, old string, new ...string) []string {
	var out []string
	for _, l := range lines {
		if l == old {
			out = append(out, new...)
			continue
		}
		out = append(out, l)
	}
	return out
}
