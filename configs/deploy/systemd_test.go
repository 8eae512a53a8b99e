package deploy_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"
)

func TestSystemdUnitVerifies(t *testing.T) {
	analyze := lookPath(t, "systemd-analyze")
	data, err := os.ReadFile("sloagent.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(data)
	if !strings.Contains(unit, "ExecStart=/usr/local/bin/sloagent ") {
		t.Fatal("ExecStart no longer runs /usr/local/bin/sloagent; update this test")
	}
	testutil.VerifyUnit(t, analyze, unit, "/usr/local/bin/sloagent")

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
