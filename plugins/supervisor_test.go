package plugins

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

func testPlugin(t *testing.T, mode string) Config {
	c := Config{Name: "test", Command: pluginPath(t, "testplugin")}
	if mode != "" {
		c.Env = map[string]conf.Secret{"TESTPLUGIN_MODE": conf.Secret(mode)}
	}
	return c
}

func TestPassAndFail(t *testing.T) {
	t.Parallel()
	s, lb := supervise(t, testPlugin(t, ""))
	pc := &ProbeConfig{Name: "test", Settings: map[string]any{
		"metrics": []any{map[string]any{"name": "queue_depth", "labels": map[string]any{"queue": "jobs"}, "value": 7}},
	}}
	r := run(t, s, "ok", pc, 5*time.Second)
	if !r.Success || r.Reason != "" || !strings.Contains(r.Message, "ok") || r.Duration <= 0 {
		t.Fatalf("passing probe: %+v", r)
	}
	want := probes.Sample{Name: "queue_depth", Labels: []probes.Label{{Name: "queue", Value: "jobs"}}, Value: 7}
	if len(r.Samples) != 2 || r.Samples[0].Name != want.Name || r.Samples[0].Labels[0] != want.Labels[0] || r.Samples[0].Value != 7 ||
		r.Samples[1].Name != "testplugin_calls" {
		t.Fatalf("samples: %+v", r.Samples)
	}

	r = run(t, s, "down", &ProbeConfig{Name: "test"}, 5*time.Second)
	if r.Success || r.Reason != probes.ReasonAssertion || r.Message != "target is down" {
		t.Fatalf("failing probe: %+v", r)
	}
	// A declared reason passes, an undeclared one is bounded to internal.
	r = run(t, s, "down", &ProbeConfig{Name: "test", Settings: map[string]any{"reason": "flaky"}}, 5*time.Second)
	if r.Reason != "flaky" {
		t.Fatalf("declared reason: %+v", r)
	}
	r = run(t, s, "down", &ProbeConfig{Name: "test", Settings: map[string]any{"reason": "made_up"}}, 5*time.Second)
	if r.Reason != probes.ReasonInternal || !strings.Contains(r.Message, `undeclared reason "made_up"`) {
		t.Fatalf("undeclared reason: %+v", r)
	}
	r = run(t, s, "ok", &ProbeConfig{Name: "test", Settings: map[string]any{"bogus": 1}}, 5*time.Second)
	if r.Success || r.Reason != "config" || !strings.Contains(r.Message, "bogus") {
		t.Fatalf("bad settings: %+v", r)
	}
	// The plugin's log lines reach the agent's log with the plugin's name.
	if log := lb.String(); !strings.Contains(log, "msg=probed") || !strings.Contains(log, "plugin=test") {
		t.Errorf("plugin log not forwarded:\n%s", log)
	}
	st := s.Status()
	if len(st) != 1 || st[0].State != StateRunning || st[0].Version != "1.2.3" || st[0].PID == 0 {
		t.Errorf("status: %+v", st)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s.Collector())
	got := gather(t, reg)
	wantSeries := map[string]float64{
		`sloagent_plugin_up{plugin="test"}`:                          1,
		`sloagent_plugin_restarts_total{plugin="test"}`:              0,
		`sloagent_plugin_crashlooping{plugin="test"}`:                0,
		`sloagent_plugin_call_duration_seconds_count{plugin="test"}`: 5,
	}
	for k, v := range wantSeries {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

func TestInvalidMetricsDropped(t *testing.T) {
	t.Parallel()
	s, _ := supervise(t, testPlugin(t, ""))
	var ms []any
	for _, n := range []string{"good_one", "probe_success", "sloagent_x", "bad-name", "good_one"} {
		ms = append(ms, map[string]any{"name": n, "value": 1})
	}
	ms = append(ms, map[string]any{"name": "labelled", "labels": map[string]any{"probe": "x"}, "value": 1})
	for i := 0; i < 100; i++ {
		ms = append(ms, map[string]any{"name": "many", "labels": map[string]any{"i": strings.Repeat("x", i)}, "value": i})
	}
	r := run(t, s, "ok", &ProbeConfig{Name: "test", Settings: map[string]any{"metrics": ms}}, 5*time.Second)
	if !r.Success || len(r.Samples) != maxMetrics || r.Samples[0].Name != "good_one" || r.Samples[1].Name != "many" {
		t.Fatalf("got %d samples, first %+v", len(r.Samples), r.Samples[:2])
	}
}

// What a plugin sends longer than its bound is cut between characters: a
// label value cut inside a character would be refused by the exposition
// and its series dropped.
func TestLongTextCutBetweenCharacters(t *testing.T) {
	t.Parallel()
	s, _ := supervise(t, testPlugin(t, ""))
	long := "a" + strings.Repeat("é", 300)
	r := run(t, s, "down", &ProbeConfig{Name: "test", Settings: map[string]any{
		"reason":  long,
		"metrics": []any{map[string]any{"name": "queue_depth", "labels": map[string]any{"queue": long}, "value": 7}},
	}}, 5*time.Second)
	if !utf8.ValidString(r.Message) || strings.Contains(r.Message, `\x`) || !strings.Contains(r.Message, `é [562 bytes cut]") target is down`) {
		t.Errorf("message %q", r.Message)
	}
	if len(r.Samples) == 0 || len(r.Samples[0].Labels) != 1 {
		t.Fatalf("samples %+v", r.Samples)
	}
	if v := r.Samples[0].Labels[0].Value; !utf8.ValidString(v) || !strings.HasSuffix(v, "é [346 bytes cut]") {
		t.Errorf("label value %q", v)
	}
}

// A reason is a label value of every run and incident with it: one longer
// than 64 bytes is internal, even declared.
func TestDeclaredReasonTooLong(t *testing.T) {
	t.Parallel()
	s, _ := supervise(t, testPlugin(t, ""))
	long := "flaky_" + strings.Repeat("x", 100) // the test plugin declares it
	r := run(t, s, "down", &ProbeConfig{Name: "test", Settings: map[string]any{"reason": long}}, 5*time.Second)
	if r.Reason != probes.ReasonInternal || !strings.HasPrefix(r.Message, `(reason "flaky_xxx`) ||
		!strings.HasSuffix(r.Message, " is not a name of at most 64 bytes) target is down") {
		t.Fatalf("%+v", r)
	}
}

// A plugin that quotes bytes that are not UTF-8 (a target's answer in
// Latin-1) still gets its answer to the agent, with U+FFFD in their place:
// protobuf would refuse to send it as it is.
func TestPluginTextNotUTF8(t *testing.T) {
	t.Parallel()
	s, _ := supervise(t, testPlugin(t, ""))
	r := run(t, s, "latin1", &ProbeConfig{Name: "test"}, 5*time.Second)
	if r.Success || r.Reason != probes.ReasonAssertion || r.Message != "caf\uFFFD answered \uFFFD" {
		t.Fatalf("%+v", r)
	}
	var city string
	for _, smp := range r.Samples {
		if smp.Name == "testplugin_city" {
			city = smp.Labels[0].Value
		}
	}
	if city != "M\uFFFDnchen" {
		t.Errorf("label value %q in %+v", city, r.Samples)
	}
}

// A plugin whose answer the agent cannot read (text that is not UTF-8,
// from a plugin written without the SDK) fails that run and says why; the
// plugin answered, so it is not taken for crashed and restarted.
func TestPluginAnswerNotReadable(t *testing.T) {
	t.Parallel()
	s, _ := supervise(t, testPlugin(t, "rawtext"))
	r := run(t, s, "latin1", &ProbeConfig{Name: "test"}, 5*time.Second)
	pid := s.Status()[0].PID
	if r.Success || r.Reason != probes.ReasonInternal || !strings.Contains(r.Message, `plugin "test" answered, but the agent cannot read the answer`) ||
		!strings.Contains(r.Message, "invalid UTF-8") || strings.Contains(r.Message, "crashed") || !utf8.ValidString(r.Message) {
		t.Fatalf("%+v", r)
	}
	if r := run(t, s, "ok", &ProbeConfig{Name: "test"}, 5*time.Second); !r.Success {
		t.Fatalf("the next run: %+v", r)
	}
	if st := s.Status()[0]; st.PID != pid || st.Restarts != 0 || st.State != StateRunning {
		t.Errorf("the plugin was restarted: %+v", st)
	}
}

func TestEnvironmentNotInherited(t *testing.T) {
	t.Setenv("SLOAGENT_SECRET_OF_THE_AGENT", "leak")
	t.Setenv("SLOAGENT_PASSED", "yes")
	c := testPlugin(t, "")
	c.Env = map[string]conf.Secret{"API_TOKEN": "s3cret"}
	c.InheritEnv = []string{"SLOAGENT_PASSED"}
	s, _ := supervise(t, c)
	r := run(t, s, "env", &ProbeConfig{Name: "test"}, 5*time.Second)
	// The plugin watches its parent: the agent's process keeper.
	stat, _ := os.ReadFile("/proc/" + strconv.Itoa(s.Status()[0].PID) + "/stat")
	_, rest, _ := strings.Cut(string(stat), ") ")
	parent := strings.Fields(rest)[1]
	if !r.Success || !strings.Contains(r.Message, "API_TOKEN=s3cret") || !strings.Contains(r.Message, "SLOAGENT_PASSED=yes") ||
		strings.Contains(r.Message, "SLOAGENT_SECRET_OF_THE_AGENT") || strings.Contains(r.Message, "PATH=") ||
		!strings.Contains(r.Message, "SLOAGENT_AGENT_PID="+parent+" ") || parent == strconv.Itoa(os.Getpid()) {
		t.Fatalf("plugin environment: %s", r.Message)
	}
}

func TestPanicRestarts(t *testing.T) {
	t.Parallel()
	s, lb := supervise(t, testPlugin(t, "panic3"))
	pc := &ProbeConfig{Name: "test"}
	for i := 1; i <= 2; i++ {
		if r := run(t, s, "ok", pc, 5*time.Second); !r.Success {
			t.Fatalf("call %d: %+v", i, r)
		}
	}
	r := run(t, s, "ok", pc, 5*time.Second)
	if r.Success || r.Reason != probes.ReasonPluginUnavailable {
		t.Fatalf("panicking call: %+v", r)
	}
	// Calls fail fast while the plugin restarts, then succeed again.
	r = eventually(t, s, "ok", pc)
	if r.Message != "call 1 ok" {
		t.Errorf("after restart: %+v", r)
	}
	if log := lb.String(); !strings.Contains(log, `level=ERROR msg="panic: call 3" plugin=test stream=stderr`) {
		t.Errorf("panic not logged as an error:\n%s", log)
	}
	if st := s.Status()[0]; st.Restarts != 1 || !strings.Contains(st.LastError, "exited") && !strings.Contains(st.LastError, "connection lost") {
		t.Errorf("status after restart: %+v", st)
	}
}

func TestHangKilledAndRestarted(t *testing.T) {
	t.Parallel()
	s, _ := supervise(t, testPlugin(t, "hang"))
	pc := &ProbeConfig{Name: "test"}
	eventually(t, s, "ok", pc)
	pid := s.Status()[0].PID
	start := time.Now()
	r := run(t, s, "hang", pc, 500*time.Millisecond)
	if r.Success || r.Reason != probes.ReasonTimeout || !strings.Contains(r.Message, "restarting") {
		t.Fatalf("hung call: %+v", r)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("hung call took %s", took)
	}
	eventually(t, s, "ok", pc)
	if st := s.Status()[0]; st.PID == pid || st.Restarts != 1 {
		t.Errorf("after hang: %+v (old pid %d)", st, pid)
	}
	waitGone(t, pid)
}

// A slow probe that honours its deadline is a timeout, not a hang: the
// plugin keeps running.
func TestSlowProbeIsNotAHang(t *testing.T) {
	t.Parallel()
	s, _ := supervise(t, testPlugin(t, ""))
	pc := &ProbeConfig{Name: "test", Settings: map[string]any{"sleep": "10s"}}
	eventually(t, s, "ok", &ProbeConfig{Name: "test"})
	pid := s.Status()[0].PID
	r := run(t, s, "sleep", pc, 2*time.Second)
	if r.Reason != probes.ReasonTimeout || r.Message != "interrupted" {
		t.Fatalf("slow probe: %+v", r)
	}
	// The SDK answers for a probe that ignores its deadline.
	r = run(t, s, "ignore-deadline", pc, 2*time.Second)
	if r.Reason != probes.ReasonTimeout || !strings.Contains(r.Message, "did not finish") {
		t.Fatalf("probe ignoring its deadline: %+v", r)
	}
	if st := s.Status()[0]; st.PID != pid || st.Restarts != 0 {
		t.Errorf("plugin was restarted: %+v", st)
	}
}

func TestWrongChecksumRefused(t *testing.T) {
	t.Parallel()
	c := testPlugin(t, "")
	c.SHA256 = strings.Repeat("ab", 32)
	s, _ := supervise(t, c)
	r := run(t, s, "ok", &ProbeConfig{Name: "test"}, 5*time.Second)
	b, err := os.ReadFile(c.Command)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if r.Success || r.Reason != probes.ReasonPluginUnavailable ||
		!strings.Contains(r.Message, "refusing to start") || !strings.Contains(r.Message, hex.EncodeToString(sum[:])) {
		t.Fatalf("wrong checksum: %+v", r)
	}
	if st := s.Status()[0]; st.PID != 0 {
		t.Errorf("plugin runs: %+v", st)
	}

	c.SHA256 = hex.EncodeToString(sum[:])
	c.Name = "test"
	s2, _ := supervise(t, c)
	if r := run(t, s2, "ok", &ProbeConfig{Name: "test"}, 5*time.Second); !r.Success {
		t.Fatalf("right checksum: %+v", r)
	}
}

func TestStdoutBeforeHandshake(t *testing.T) {
	t.Parallel()
	s, _ := supervise(t, testPlugin(t, "noisy"))
	r := run(t, s, "ok", &ProbeConfig{Name: "test"}, 5*time.Second)
	if r.Success || r.Reason != probes.ReasonPluginUnavailable ||
		!strings.Contains(r.Message, `wrote "starting up, version 1.2.3" to stdout before the go-plugin handshake`) {
		t.Fatalf("noisy plugin: %+v", r)
	}
}

// Whatever a plugin prints before its handshake is named in the error,
// also a line that go-plugin's parser would take for a broken handshake.
func TestGarbageBeforeHandshake(t *testing.T) {
	t.Parallel()
	for mode, want := range map[string]string{
		"pipes":  `wrote "ready | version 2 | port 8080 | ok" to stdout before the go-plugin handshake`,
		"binary": `wrote "\x00\x01\x02\xff\x00\x01\x02\xff`,
	} {
		s, _ := supervise(t, testPlugin(t, mode))
		r := run(t, s, "ok", &ProbeConfig{Name: "test"}, 5*time.Second)
		if r.Success || r.Reason != probes.ReasonPluginUnavailable || !strings.Contains(r.Message, want) {
			t.Errorf("%s: %+v", mode, r)
		}
	}
}

func TestCrashLoopBacksOff(t *testing.T) {
	t.Parallel()
	s, lb := supervise(t, testPlugin(t, "exit"))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s.Collector())
	deadline := time.Now().Add(10 * time.Second)
	for s.Status()[0].State != StateCrashLooping {
		if time.Now().After(deadline) {
			t.Fatalf("never crash-looping: %+v", s.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	st := s.Status()[0]
	if st.Failures < crashLoopAfter || !strings.Contains(st.LastError, "exited") {
		t.Errorf("status: %+v", st)
	}
	if got := gather(t, reg); got[`sloagent_plugin_crashlooping{plugin="test"}`] != 1 || got[`sloagent_plugin_up{plugin="test"}`] != 0 {
		t.Errorf("metrics while crash-looping: %v", got)
	}
	log := lb.String()
	if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "now restarting at most every") ||
		!strings.Contains(log, "cannot start: no database") {
		t.Errorf("log:\n%s", log)
	}
	r := run(t, s, "ok", &ProbeConfig{Name: "test"}, time.Second)
	if r.Reason != probes.ReasonPluginUnavailable || !strings.Contains(r.Message, StateCrashLooping) {
		t.Errorf("run while crash-looping: %+v", r)
	}
}

func TestCloseKillsPlugins(t *testing.T) {
	t.Parallel()
	s, _ := supervise(t, testPlugin(t, ""))
	eventually(t, s, "ok", &ProbeConfig{Name: "test"})
	pid := s.Status()[0].PID
	s.Close()
	waitGone(t, pid)
	if r := run(t, s, "ok", &ProbeConfig{Name: "test"}, time.Second); r.Reason != probes.ReasonPluginUnavailable {
		t.Errorf("run after Close: %+v", r)
	}
}

// waitGone waits for pid to be gone (reaped, or never a zombie for long).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if !alive(pid) {
			return
		}
	}
	t.Fatalf("process %d still running", pid)
}

// alive reports whether pid runs (a zombie does not count).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

func TestUpdateKeepsUnchangedPlugins(t *testing.T) {
	t.Parallel()
	keep, change, drop := testPlugin(t, ""), testPlugin(t, ""), testPlugin(t, "")
	keep.Name, change.Name, drop.Name = "keep", "change", "drop"
	for _, c := range []*Config{&keep, &change, &drop} {
		c.RestartBackoff, c.MaxRestartBackoff = conf.Duration(time.Second), conf.Duration(time.Minute)
	}
	s, _ := supervise(t, keep, change, drop)
	waitRunning(t, s)
	pids := map[string]int{}
	for _, st := range s.Status() {
		pids[st.Name] = st.PID
	}
	change.Args = []string{"--changed"}
	s.Update([]Config{keep, change})
	waitRunning(t, s)
	st := s.Status()
	if len(st) != 2 || st[0].Name != "change" || st[0].PID == pids["change"] || st[1].Name != "keep" || st[1].PID != pids["keep"] {
		t.Fatalf("after update: %+v (before: %v)", st, pids)
	}
	waitGone(t, pids["drop"])
	waitGone(t, pids["change"])
	if r := run(t, s, "ok", &ProbeConfig{Name: "keep"}, 5*time.Second); !r.Success {
		t.Errorf("kept plugin: %+v", r)
	}
}
