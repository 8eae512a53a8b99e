package plugins

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// outsidePythonPlugin is a plugin in a directory of its own that finds the
// SDK only where pip installed it, and says where that is.
const outsidePythonPlugin = `import sloagent_plugin
from sloagent_plugin import Response, serve

def probe(req):
    return Response(success=req.target == "ok", reason="" if req.target == "ok" else sloagent_plugin.STATUS_CODE,
                    message=sloagent_plugin.__file__)

serve(probe, name="outside", version="0.0.1")
`

// The Python SDK installs with pip from the repository (its pyproject.toml)
// into a fresh venv, with nothing from PyPI: the dependencies are Debian's,
// seen through --system-site-packages. A plugin outside the tree then runs
// under the supervisor with the venv's interpreter.
func TestPythonSDKInstallsWithPip(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	// pip builds in the source directory; a copy keeps the tree clean.
	src := filepath.Join(tmp, "src")
	if err := os.CopyFS(src, os.DirFS("python")); err != nil {
		t.Fatal(err)
	}
	venv := filepath.Join(tmp, "venv")
	for _, args := range [][]string{
		{"/usr/bin/python3", "-m", "venv", "--system-site-packages", venv},
		{filepath.Join(venv, "bin", "pip"), "install", "--no-build-isolation", "--no-deps", "--no-index", "--quiet", src},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1", "PYTHONDONTWRITEBYTECODE=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	dir := filepath.Join(tmp, "myplugin")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "outside.py")
	if err := os.WriteFile(script, []byte(outsidePythonPlugin), 0o644); err != nil {
		t.Fatal(err)
	}
	auto := false
	s, _ := supervise(t, Config{Name: "outside", Command: filepath.Join(venv, "bin", "python3"), Args: []string{script},
		AutoMTLS: &auto})
	r := run(t, s, "ok", &ProbeConfig{Name: "outside"}, 20*time.Second)
	if !r.Success || !strings.HasPrefix(r.Message, filepath.Join(venv, "lib")) {
		t.Fatalf("run: %+v, want success with the SDK from %s", r, venv)
	}
	r = run(t, s, "down", &ProbeConfig{Name: "outside"}, 5*time.Second)
	if r.Success || r.Reason != "status_code" {
		t.Errorf("failing run: %+v", r)
	}
}
