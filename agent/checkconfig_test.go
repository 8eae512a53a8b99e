package agent

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// check-config finds what the daemon would only find running: a plugin
// binary that differs from its sha256, settings and targets the plugin
// refuses (each at its line), and warns of values read at each run that
// are absent on the checking machine.
func TestCheckConfigPluginsAndRunTimeValues(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "tcp")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/sloagent/sloagent/plugins/tcp").CombinedOutput(); err != nil {
		t.Fatalf("building the tcp plugin: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "agent.yml")
	yml := strings.ReplaceAll(`plugins:
  - {name: tcp, command: @BIN@}
  - {name: pinned, command: @BIN@, sha256: 0000000000000000000000000000000000000000000000000000000000000000}
probes:
  - name: redis
    kind: plugin
    target: 127.0.0.1:6379
    plugin:
      name: tcp
      settings:
        expect_regexp: "+PONG"
  - name: login
    kind: browser
    target: http://127.0.0.1:8080/login
    browser:
      steps:
        - type: {selector: "#pass", text_env: SLOAGENT_TEST_UNSET_PASSWORD}
`, "@BIN@", bin)
	if err := os.WriteFile(file, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	if code := Main([]string{"check-config", file}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1\nstdout %s\nstderr %s", code, out.String(), errb.String())
	}
	for _, want := range []string{
		file + ":17: warning: probes[1].browser.steps[0].type.text_env: environment variable SLOAGENT_TEST_UNSET_PASSWORD is not set (read at each run)\n",
		file + ":3: plugins[1].sha256: " + bin + " has sha256 ",
		file + ":11: probes[0].plugin.settings.expect_regexp: plugin \"tcp\": error parsing regexp: missing argument to repetition operator: `+`\n",
	} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}

	// Fixed, the same file passes, still warning of the variable.
	fixed := strings.NewReplacer(`"+PONG"`, `"\\+PONG"`, ", sha256: 0000000000000000000000000000000000000000000000000000000000000000", "").Replace(yml)
	if err := os.WriteFile(file, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := Main([]string{"check-config", file}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if out.String() != file+": OK, 2 probes\n" || !strings.Contains(errb.String(), "warning: probes[1].browser") {
		t.Errorf("stdout %q stderr %q", out.String(), errb.String())
	}
}
