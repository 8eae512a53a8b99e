package agent

import (
	"fmt"
	"strings"
	"testing"
)

// A plugin probe runs through the supervised tcp plugin, and a command
// probe runs a real Monitoring Plugins check, both inside the agent.
func TestPluginAndCommandProbesInTheAgent(t *testing.T) {
	bin, pong := tcpPluginAndPong(t, t.TempDir())
	closed := freePort(t)
	ta := startAgent(t, fmt.Sprintf(`
plugins:
  - {name: tcp, command: %s}
probes:
  - name: pong
    kind: plugin
    target: %s
    interval: 500ms
    timeout: 400ms
    plugin: {name: tcp, settings: {expect: "+PONG"}}
  - name: check-open
    kind: command
    target: %s
    interval: 500ms
    timeout: 400ms
    command: {path: %s, args: ["-H", "{{host}}", "-p", "{{port}}"]}
  - name: check-closed
    kind: command
    target: 127.0.0.1:%d
    interval: 500ms
    timeout: 400ms
    command: {path: %s, args: ["-H", "{{host}}", "-p", "{{port}}"]}
`, bin, pong, pong, checkTCP, closed, checkTCP))
	defer func() {
		if t.Failed() {
			t.Log(ta.logs.String())
		}
	}()
	waitFor(t, "the plugin and command probes to run", func() bool {
		p, _ := ta.value(t, "probe_success", map[string]string{"probe": "pong"})
		o, _ := ta.value(t, "probe_success", map[string]string{"probe": "check-open"})
		c, _ := ta.value(t, "probe_failures_total", map[string]string{"probe": "check-closed", "reason": "check_critical"})
		return p == 1 && o == 1 && c >= 1
	})
	if v, _ := ta.value(t, "sloagent_plugin_up", map[string]string{"plugin": "tcp"}); v != 1 {
		t.Errorf("sloagent_plugin_up = %v", v)
	}
	if _, found := ta.value(t, "probe_command_perfdata", map[string]string{"probe": "check-open"}); !found {
		t.Error("check_tcp's performance data not exported")
	}
	if v, _ := ta.value(t, "probe_command_exit_code", map[string]string{"probe": "check-closed"}); v != 2 {
		t.Errorf("probe_command_exit_code = %v, want 2 (CRITICAL)", v)
	}
	if !strings.Contains(ta.logs.String(), "probe=check-closed reason=check_critical") {
		t.Error("the failed check is not logged with its reason")
	}
}
