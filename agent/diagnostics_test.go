package agent

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// /diagnostics/ serves the files failed runs left there, and no symbolic
// link placed among them, whether it points out of the directory or in.
func TestDiagnosticsServesNoLinks(t *testing.T) {
	ok, _ := targets(t)
	ta := startAgent(t, fmt.Sprintf("probes:\n  - {name: up, target: %s}\n", ok.URL))
	dir := diagnosticsDir(ta.config())
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(secret, []byte("outside the state dir"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"run.png": "png", "sub/console.log": "log"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, to := range map[string]string{"out.png": secret, "in.png": filepath.Join(dir, "run.png"),
		"passwd": "/etc/passwd", "linkdir": filepath.Join(dir, "sub"), "up": "..", "sub/back.log": "../run.png"} {
		if err := os.Symlink(to, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]int{
		"run.png": 200, "sub/console.log": 200,
		"out.png": 404, "in.png": 404, "passwd": 404, "linkdir/console.log": 404, "up/state/x": 404,
		"sub/back.log": 404, "sub/": 404, "": 404, "../../../../etc/passwd": 404,
	} {
		if code, body := get(t, ta.web.URL+"/diagnostics/"+path); code != want {
			t.Errorf("/diagnostics/%s: %d, want %d (%q)", path, code, want, body)
		}
	}
	_, body := get(t, ta.web.URL+"/diagnostics/sub/console.log")
	if body != "log" {
		t.Errorf("sub/console.log: %q", body)
	}
	if code, _ := get(t, ta.web.URL+"/diagnostics/out.png"); code == http.StatusOK {
		t.Error("served a file outside the state dir")
	}
}
