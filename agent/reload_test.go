package agent

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// POST /-/reload is served only with --web.enable-lifecycle; SIGHUP
// reloads either way.
func TestLifecycleFlag(t *testing.T) {
	ok, _ := targets(t)
	cfgFile := filepath.Join(t.TempDir(), "sloagent.yml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf("probes:\n  - {name: up, target: %s}\n", ok.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startBinary(t, "--config.file="+cfgFile)
	code, body := post(t, "http://"+p.addr+"/-/reload")
	if code != http.StatusForbidden || !strings.Contains(body, "--web.enable-lifecycle") {
		t.Errorf("POST /-/reload without the flag: %d %s", code, body)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the SIGHUP reload", func() bool { return strings.Count(p.logs.String(), `msg="config loaded"`) == 2 })

	p = startBinary(t, "--config.file="+cfgFile, "--web.enable-lifecycle")
	if code, body := post(t, "http://"+p.addr+"/-/reload"); code != http.StatusOK {
		t.Errorf("POST /-/reload with the flag: %d %s", code, body)
	}
}

// A config without probes (empty, only comments, probes commented out) is
// refused on reload and the running one stays; a first start runs it, with
// a warning.
func TestConfigWithoutProbes(t *testing.T) {
	ok, _ := targets(t)
	ta := startAgent(t, fmt.Sprintf("probes:\n  - {name: up, target: %s, interval: 100ms, timeout: 80ms}\n", ok.URL))
	for _, empty := range []string{"", "# probes:\n#  - {name: up}\n", "agent: {name: x}\nprobes: []\n"} {
		ta.rewrite(t, empty)
		code, body := post(t, ta.web.URL+"/-/reload")
		if code != http.StatusInternalServerError || !strings.Contains(body, "the config has no probes; refusing it") {
			t.Errorf("reload to %q: %d %s", empty, code, body)
		}
	}
	before, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "up"})
	waitFor(t, "the running config to go on", func() bool {
		v, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": "up"})
		return v > before
	})

	first := startAgent(t, "# nothing yet\n")
	if !strings.Contains(first.logs.String(), "the config has no probes: nothing is monitored") {
		t.Errorf("no warning at a first start without probes:\n%s", first.logs.String())
	}
}
