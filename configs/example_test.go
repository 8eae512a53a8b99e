package configs

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README installs configs/example.yml as it is (go run, the systemd
// unit): it must not need an environment variable to be set. Comments may
// show ${VAR}.
func TestExampleNeedsNoEnvironment(t *testing.T) {
	data, err := os.ReadFile("example.yml")
	if err != nil {
		t.Fatal(err)
	}
	ref := regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\}`)
	for i, line := range strings.Split(string(data), "\n") {
		code, _, _ := strings.Cut(line, "#")
		if m := ref.FindString(code); m != "" {
			t.Errorf("example.yml:%d: %s needs the environment; use a *_file form", i+1, m)
		}
	}
}
