package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Targets in a file_sd file become probes of a template while the agent
// runs: a target added to the file starts a probe within seconds, the
// others keep their state, and a file that breaks keeps the last good
// targets and says so in the log, the metrics and the status page.
func TestFileDiscoveryUnderRunningAgent(t *testing.T) {
	ok, _ := targets(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "targets.json")
	host := strings.TrimPrefix(ok.URL, "http://")
	write := func(text string) {
		t.Helper()
		tmp := file + ".tmp"
		if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(`[{"targets": ["%s"], "labels": {"team": "shop", "__meta_x": "y"}}]`, host))
	ta := startAgent(t, fmt.Sprintf(`
discovery:
  - template:
      name: web
      target: "http://{address}/"
      interval: 1s
      timeout: 500ms
      labels: {tier: "1"}
    file_sd_configs:
      - files: [%s]
slos:
  - name: web
    probe_selector: {tier: "1"}
    objective: 99
    window: {rolling: 1d}
`, filepath.Join(dir, "*.json")))
	first := "web:" + strings.ReplaceAll(host, "/", "_")
	waitFor(t, "the discovered probe to run", func() bool {
		v, found := ta.value(t, "probe_success", map[string]string{"probe": first, "team": "shop", "tier": "1"})
		return found && v == 1
	})
	st, _ := ta.probe(first)
	before := st.snapshot(time.Now()).Runs

	write(fmt.Sprintf(`[{"targets": ["%s"], "labels": {"team": "shop"}}, {"targets": ["%s/health"], "labels": {"team": "api"}}]`, host, host))
	second := first + "_health"
	waitFor(t, "the added target's probe to run", func() bool {
		v, found := ta.value(t, "probe_success", map[string]string{"probe": second, "team": "api"})
		return found && v == 1
	})
	if st2, _ := ta.probe(first); st2 != st || st2.snapshot(time.Now()).Runs < before {
		t.Errorf("the first probe lost its state when a target was added")
	}

	write(`[{"targets": ["unclosed`)
	waitFor(t, "the broken file to be seen", func() bool {
		v, _ := ta.value(t, "sloagent_discovery_source_failing", map[string]string{"source": "web/file_sd_configs[0]"})
		return v == 1
	})
	if v, _ := ta.value(t, "sloagent_discovery_targets", map[string]string{"source": "web/file_sd_configs[0]"}); v != 2 {
		t.Errorf("targets while failing = %v, want the last good 2", v)
	}
	if _, pr := ta.probe(second); pr == nil {
		t.Error("a broken file removed the probes of its targets")
	}
	_, page := get(t, ta.web.URL+"/")
	if !strings.Contains(page, "web/file_sd_configs[0]") || !strings.Contains(page, "keeping its last targets") {
		t.Errorf("status page does not show the failing source")
	}
	// Read again (the periodic read, or another event): logged once.
	write(`[{"targets": ["unclosed`)
	waitFor(t, "a second failed read", func() bool {
		v, _ := ta.value(t, "sloagent_discovery_failures_total", map[string]string{"source": "web/file_sd_configs[0]"})
		return v >= 2
	})
	if n := strings.Count(ta.logs.String(), "discovery source failing"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, ta.logs.String())
	}

	// Fixed, with the first target gone: its probe goes, the other stays.
	write(fmt.Sprintf(`[{"targets": ["%s/health"], "labels": {"team": "api"}}]`, host))
	waitFor(t, "the removed target's probe to go", func() bool {
		st, _ := ta.probe(first)
		return st == nil
	})
	if _, pr := ta.probe(second); pr == nil {
		t.Error("the remaining target's probe is gone")
	}
	if !strings.Contains(ta.logs.String(), "discovery source recovered") {
		t.Error("the recovery was not logged")
	}
}
