package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// VerifyUnit checks the systemd unit sloagent.service with analyze
// (systemd-analyze): verify finds nothing to say, and the exposure level
// security gives it is below 2, which systemd calls "OK" (0 is fully
// locked down, 10 unprotected). verify insists the unit's program exists,
// so this test's own executable stands in for bin.
func VerifyUnit(t testing.TB, analyze, unit, bin string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sloagent.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, bin, self)), 0o644); err != nil {
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
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level >= 2 {
		t.Errorf("exposure level %.1f, want below 2:\n%s", level, out)
	}
}
