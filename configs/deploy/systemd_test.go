package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestSystemdUnitVerifies(t *testing.T) {
	analyze := lookPath(t, "systemd-analyze")
	data, err := os.ReadFile("sloagent.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(data)
	// verify insists the binary exists; any executable stands in for it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(unit, "ExecStart=/usr/local/bin/sloagent ") {
		t.Fatal("ExecStart no longer runs /usr/local/bin/sloagent; update this test")
	}
	path := filepath.Join(t.TempDir(), "sloagent.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/sloagent", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	out, err := exec.Command(analyze, "security", "--offline=true", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for sloagent.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	// 0 is fully locked down, 10 is unprotected; systemd calls < 2 "OK".
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level >= 2 {
		t.Errorf("exposure level %.1f, want below 2:\n%s", level, out)
	}

	for _, want := range []string{
		"DynamicUser=yes", "StateDirectory=sloagent", "ProtectSystem=strict", "ProtectHome=yes",
		"PrivateTmp=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
		"SystemCallFilter=@system-service", "ExecReload=/bin/kill -HUP $MAINPID",
	} {
		if !strings.Contains(unit, "\n"+want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	// Chromium's JIT needs writable executable memory.
	if regexp.MustCompile(`(?m)^MemoryDenyWriteExecute=`).MatchString(unit) {
		t.Error("MemoryDenyWriteExecute breaks browser probes")
	}
}
