package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/agent/schedule"
)

// onceExec is what a run of the built binary printed and returned.
type onceExec struct {
	stdout, stderr string
	code           int
}

// runOnceBinary runs `sloagent once args...` and returns what it printed
// and its exit code.
func runOnceBinary(t *testing.T, args ...string) onceExec {
	t.Helper()
	cmd := exec.Command(testutil.AgentBinary(t), append([]string{"once"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return onceExec{stdout.String(), stderr.String(), code}
}

func writeConfig(t *testing.T, dir, name, config string) string {
	t.Helper()
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// onceSummary is the --output=json document.
type onceSummary struct {
	Agent  string `json:"agent"`
	Passed int    `json:"passed"`
	Failed int    `json:"failed"`
	Probes []struct {
		Probe    string  `json:"probe"`
		Success  bool    `json:"success"`
		Reason   string  `json:"reason"`
		Duration float64 `json:"duration_seconds"`
		Message  string  `json:"message"`
	} `json:"probes"`
	Push []struct {
		Target string `json:"target"`
		OK     bool   `json:"ok"`
		Error  string `json:"error"`
	} `json:"push"`
}

func parseSummary(t *testing.T, out string) onceSummary {
	t.Helper()
	var s onceSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("--output=json printed no JSON document: %v\n%s", err, out)
	}
	return s
}

func TestOnceExitCodesAndOutput(t *testing.T) {
	t.Parallel()
	ok, broken := targets(t)
	hang := make(chan struct{})
	hanging := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang })}
	ln := listenLoopback(t)
	go func() { _ = hanging.Serve(ln) }()
	t.Cleanup(func() { close(hang); hanging.Close() })

	dir := t.TempDir()
	cfg := writeConfig(t, dir, "once.yml", fmt.Sprintf(`
agent: {name: edge, location: lab}
push: {max_retries: 1, min_backoff: 50ms}
probes:
  - {name: up, target: %s, timeout: 2s}
  - {name: down, target: %s, timeout: 2s}
  - {name: stuck, target: http://%s/, timeout: 300ms}
`, ok.URL, broken.URL, ln.Addr()))
	state := "--storage.path=" + filepath.Join(dir, "state")

	r := runOnceBinary(t, "--config.file="+cfg, state, "up")
	if r.code != 0 || !strings.Contains(r.stdout, "1 probe: 1 passed, 0 failed") {
		t.Errorf("one passing probe: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !regexpMatch(`(?m)^PROBE\s+RESULT\s+REASON\s+DURATION\s+MESSAGE$`, r.stdout) || !regexpMatch(`(?m)^up\s+ok\s+\d+ms\s+HTTP/1.1 200 OK`, r.stdout) {
		t.Errorf("text summary lacks the table:\n%s", r.stdout)
	}

	start := time.Now()
	r = runOnceBinary(t, "--config.file="+cfg, state, "--output=json")
	if r.code != 1 {
		t.Errorf("failing probes: exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("a target that hangs held the run for %s past its 300ms timeout", took)
	}
	s := parseSummary(t, r.stdout)
	got := map[string]string{}
	for _, p := range s.Probes {
		got[p.Probe] = fmt.Sprint(p.Success, " ", p.Reason)
	}
	want := map[string]string{"up": "true ", "down": "false status_code", "stuck": "false timeout"}
	if s.Agent != "edge" || s.Passed != 1 || s.Failed != 2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary %+v; want agent edge, 1 passed, 2 failed, %v", s, want)
	}

	// Flags may come after probe names too.
	r = runOnceBinary(t, "up", "--config.file="+cfg, "down", state, "--output=json")
	if s := parseSummary(t, r.stdout); r.code != 1 || len(s.Probes) != 2 || s.Probes[0].Probe != "up" || s.Probes[1].Probe != "down" {
		t.Errorf("probe names between flags: exit %d, summary %+v; stderr:\n%s", r.code, s, r.stderr)
	}

	// A push that fails makes the run fail, with the reason, even when
	// every probe passed.
	dead := fmt.Sprintf("http://127.0.0.1:%d/api/v1/write", freePort(t))
	r = runOnceBinary(t, "--config.file="+cfg, state, "--output=json", "--push.remote-write-url="+dead, "up")
	if r.code != 1 || !strings.Contains(r.stderr, "remote write to "+dead+" failed after 2 attempt(s)") ||
		!strings.Contains(r.stderr, "connection refused") {
		t.Errorf("dead push target: exit %d, want 1 and a clear message; stderr:\n%s", r.code, r.stderr)
	}
	if s := parseSummary(t, r.stdout); len(s.Push) != 1 || s.Push[0].OK || s.Push[0].Target != "remote_write" {
		t.Errorf("summary push %+v; want one failed remote_write", s.Push)
	}

	// Config and usage errors: exit 2 with the reason.
	bad := writeConfig(t, dir, "bad.yml", "probes:\n  - {name: x, target: ftp://127.0.0.1/}\n")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--config.file=" + cfg, "nope"}, `no probe named "nope"`},
		{[]string{"up"}, `--config.file is required`},
		{[]string{"--config.file=" + bad}, `bad.yml:2: probes[0].target: target "ftp://127.0.0.1/" must be an http:// or https:// URL`},
		{[]string{"--config.file=" + cfg, "--output=xml"}, `--output: "xml" is not text or json`},
		{[]string{"--config.file=" + cfg, "--push.pushgateway-url=gateway:9091"}, `push.pushgateway.url: url "gateway:9091" must be an http:// or https:// URL`},
		{[]string{"--config.file=" + cfg, "--shard=3/3"}, `--shard: "3/3" is not i/N`},
	} {
		r := runOnceBinary(t, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("once %v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.msg)
		}
	}

	// Two shards run every probe exactly once between them.
	seen := map[string]int{}
	for i := range 2 {
		r := runOnceBinary(t, "--config.file="+cfg, state, "--output=json", fmt.Sprintf("--shard=%d/2", i))
		for _, p := range parseSummary(t, r.stdout).Probes {
			seen[p.Probe]++
			if !(schedule.Shard{Index: i, Count: 2}).Keeps(p.Probe) {
				t.Errorf("shard %d/2 ran %q", i, p.Probe)
			}
		}
	}
	if fmt.Sprint(seen) != "map[down:1 stuck:1 up:1]" {
		t.Errorf("probes run by shards 0/2 and 1/2: %v; want each once", seen)
	}
}

// `once` pushes through remote write into a real Prometheus: the probes'
// series arrive, and the rules of `sloagent rules` compute the SLO of two
// agents from the pushed counters, each run's starting at zero.
func TestOncePushesToPrometheus(t *testing.T) {
	t.Parallel()
	ok, broken := targets(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "once.yml", fmt.Sprintf(`
agent: {name: "${AGENT}", location: lab}
probes:
  - {name: up, target: %s}
  - {name: down, target: %s}
slos:
  - {name: web, probes: [up, down], objective: 90}
`, ok.URL, broken.URL))
	rules := sloRulesFile(t, dir, cfg)
	prom := startPrometheus(t, fmt.Sprintf("global: {evaluation_interval: 1s}\nrule_files: [%q]\n", rules),
		"--web.enable-remote-write-receiver")
	write := prom.URL + "/api/v1/write"

	// Agent "both" runs both probes (1 of 2 fail), "one" only up. Every
	// run starts without state, as on a host whose disk goes with it.
	const runs = 3
	for i := range runs {
		for _, a := range []string{"both", "one"} {
			args := []string{"--config.file=" + cfg, "--storage.path=" + filepath.Join(dir, fmt.Sprint(a, i)), "--push.remote-write-url=" + write}
			if a == "one" {
				args = append(args, "up")
			}
			cmd := exec.Command(testutil.AgentBinary(t), append([]string{"once"}, args...)...)
			cmd.Env = append(os.Environ(), "AGENT="+a)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1 && a == "both") {
				t.Fatalf("once as %s: %v\n%s", a, err, out)
			}
			if !strings.Contains(string(out), "pushed to remote_write") {
				t.Fatalf("once as %s did not push:\n%s", a, out)
			}
		}
	}

	pushed := time.Now()
	got := map[string]float64{}
	for _, s := range prom.Query(t, `probe_success{job="sloagent"}`) {
		got[s.Labels["instance"]+"/"+s.Labels["probe"]] = s.Value
		if s.Labels["agent"] != s.Labels["instance"] || s.Labels["location"] != "lab" {
			t.Errorf("pushed series %v lack the agent's labels", s.Labels)
		}
	}
	if fmt.Sprint(got) != "map[both/down:0 both/up:1 one/up:1]" {
		t.Errorf("probe_success in Prometheus: %v", got)
	}
	// Each run is one sample, so counting samples counts runs.
	if r := prom.Query(t, `count_over_time(probe_success{instance="both",probe="down"}[5m])`); len(r) != 1 || r[0].Value != runs {
		t.Errorf("pushed runs of both/down: %v, want %d", r, runs)
	}
	// Each run's counter goes from 0 at its start to its count at its end.
	if r := prom.Query(t, `count_over_time(slo_events_total{instance="both"}[5m])`); len(r) != 1 || r[0].Value != 2*runs {
		t.Errorf("slo_events_total samples of both: %v, want %d", r, 2*runs)
	}
	if r := prom.Query(t, `max_over_time(slo_events_total{instance="both"}[5m])`); len(r) != 1 || r[0].Value != 2 {
		t.Errorf("slo_events_total of one run of both: %v, want 2", r)
	}

	// Truth: both 6 events, 3 good; one 3 events, 3 good: 3 bad of 9.
	// increase() extrapolates each series towards the end of the window
	// by up to half its sample interval, alike for the good and the total
	// counter of one agent but not across agents: allow 0.05.
	// Rules are evaluated every second: read a ratio evaluated after the
	// last push, not one from between two.
	var ratio float64
	waitFor(t, "the SLO error ratio from the pushed counters", func() bool {
		r := prom.Query(t, fmt.Sprintf(`slo:sli_error:ratio_rate5m{slo="web"} and timestamp(slo:sli_error:ratio_rate5m{slo="web"}) > %d`, pushed.Unix()+1))
		if len(r) != 1 {
			return false
		}
		ratio = r[0].Value
		return true
	})
	t.Logf("error ratio from the pushed counters: %v (truth 1/3)", ratio)
	if want := 1.0 / 3; math.Abs(ratio-want) > 0.05 {
		t.Errorf("error ratio from the pushed counters %v, want %v ± 0.05", ratio, want)
	}
}

// sloRulesFile writes the output of `sloagent rules` for cfg and checks it
// with promtool.
func sloRulesFile(t *testing.T, dir, cfg string) string {
	t.Helper()
	cmd := exec.Command(testutil.AgentBinary(t), "rules", "--config.file="+cfg)
	cmd.Env = append(os.Environ(), "AGENT=rules")
	rules, err := cmd.Output()
	if err != nil {
		t.Fatalf("sloagent rules: %v", err)
	}
	f := writeConfig(t, dir, "rules.yml", string(rules))
	if out, err := exec.Command(testutil.LookPath(t, "promtool", "prometheus"), "check", "rules", f).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	return f
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// checkTCP is Debian's Nagios TCP check, the command probes' real check.
const checkTCP = "/usr/lib/nagios/plugins/check_tcp"

// tcpPluginAndPong builds the tcp plugin into dir, makes sure checkTCP is
// installed, and serves "+PONG" on a loopback port: what the plugin and
// command probe tests run, and against what. It returns the plugin's path
// and the server's address.
func tcpPluginAndPong(t *testing.T, dir string) (plugin, addr string) {
	t.Helper()
	plugin = filepath.Join(dir, "tcp-plugin")
	if out, err := exec.Command("go", "build", "-o", plugin, "github.com/sloagent/sloagent/plugins/tcp").CombinedOutput(); err != nil {
		t.Fatalf("building the tcp plugin: %v\n%s", err, out)
	}
	if _, err := exec.LookPath(checkTCP); err != nil {
		t.Fatalf("%s missing: install Debian's monitoring-plugins-basic (scripts/test does)", checkTCP)
	}
	addr = testutil.ServeTCP(t, func(c *net.TCPConn) { fmt.Fprint(c, "+PONG\r\n") })
	return plugin, addr
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// A browser probe runs once in a Chromium that `once` starts for it and
// that is gone when `once` exits.
func TestOnceRunsBrowserProbes(t *testing.T) {
	t.Parallel()
	page := pageServer(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "browser.yml", fmt.Sprintf(`
probes:
  - name: journey
    kind: browser
    target: %s
    interval: 1m
    timeout: 30s
    browser:
      steps:
        - {name: title, assert_text: {selector: "#title", contains: Welcome}}
`, page.URL))
	r := runOnceBinary(t, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "state"), "--output=json")
	s := parseSummary(t, r.stdout)
	if r.code != 0 || len(s.Probes) != 1 || !s.Probes[0].Success {
		t.Fatalf("browser probe: exit %d, summary %+v\nstderr:\n%s", r.code, s, r.stderr)
	}
	m := regexp.MustCompile(`msg="browser started".* pid=(\d+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no browser start in the log:\n%s", r.stderr)
	}
	pid, _ := strconv.Atoi(m[1])
	if proc, err := os.FindProcess(pid); err == nil && proc.Signal(syscall.Signal(0)) == nil {
		t.Errorf("Chromium (pid %d) outlived `sloagent once`", pid)
	}
}

// Plugin and command probes run once too: the plugin process is started
// for the run and stopped with it.
func TestOnceRunsPluginAndCommandProbes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin, pong := tcpPluginAndPong(t, dir)
	cfg := writeConfig(t, dir, "plugins.yml", fmt.Sprintf(`
plugins:
  - {name: tcp, command: %s}
probes:
  - {name: pong, kind: plugin, target: %s, timeout: 5s, plugin: {name: tcp, settings: {expect: "+PONG"}}}
  - {name: check-closed, kind: command, target: "127.0.0.1:%d", timeout: 5s, command: {path: %s, args: ["-H", "{{host}}", "-p", "{{port}}"]}}
`, bin, pong, freePort(t), checkTCP))
	r := runOnceBinary(t, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "state"), "--output=json")
	got := map[string]string{}
	for _, p := range parseSummary(t, r.stdout).Probes {
		got[p.Probe] = fmt.Sprint(p.Success, " ", p.Reason)
	}
	if r.code != 1 || got["pong"] != "true " || got["check-closed"] != "false check_critical" {
		t.Errorf("exit %d, results %v; want 1, pong passing and check-closed critical\nstderr:\n%s", r.code, got, r.stderr)
	}
	if out, _ := exec.Command("pgrep", "-f", bin).Output(); len(out) > 0 {
		t.Errorf("the plugin outlived `sloagent once`: pids %s", out)
	}
}
