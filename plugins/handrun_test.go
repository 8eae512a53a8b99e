package plugins

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Someone who runs a plugin binary by hand learns what it is and how the
// agent runs it, in Go as in Python.
func TestPluginRunByHandExplains(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("python/http_status.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cmd  []string
		want []string
	}{
		{"go", []string{pluginPath(t, "tcp")}, []string{
			"This is a sloagent plugin (tcp", "not run by hand",
			"plugins:\n    - name: tcp\n      command: " + pluginPath(t, "tcp"),
			"kind: plugin", "expect: ...", "sloagent check-config",
		}},
		{"python", []string{script}, []string{
			"This is a sloagent plugin (http_status 1.0.0", "not run by hand",
			"plugins:\n    - name: http_status\n      command: " + script, "body_contains: ...",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(tc.cmd[0], tc.cmd[1:]...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Errorf("exit: %v, want status 1", err)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}
