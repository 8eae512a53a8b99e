package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// shared is the one browser most tests run on, as the agent does.
var (
	shared     *Browser
	sharedDiag string
)

// childEnv makes the test binary act as an agent that starts the browser
// and waits to be killed; see TestBrowserDiesWithTheAgent.
const childEnv = "SLOAGENT_BROWSER_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		b, err := Start(context.Background(), Options{}, "", nil)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("started", b.PID(), b.ProfileDir())
		select {}
	}
	if _, err := resolvePath(""); err != nil {
		fmt.Fprintln(os.Stderr, "browser tests need Chromium:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "browser-diag-")
	if err != nil {
		panic(err)
	}
	sharedDiag = dir
	// Started up front, so that no test's deadline pays for the start.
	shared, err = Start(context.Background(), Options{MaxConcurrentRuns: 2}, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the browser:", err)
		os.Exit(1)
	}
	code := m.Run()
	profile := shared.ProfileDir()
	shared.Close()
	if left := ProcessesUsing(profile); profile != "" && len(left) > 0 {
		fmt.Fprintf(os.Stderr, "Chromium processes left after Close: %v\n", left)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// parseConfig decodes a probe's browser section as the agent does, and
// fails the test on any problem.
func parseConfig(t testing.TB, yml string) *Config {
	t.Helper()
	var c Config
	doc, problems := conf.Decode("probe.yml", []byte(yml), &c, nil)
	r := conf.NewReport()
	c.Validate(r)
	problems = append(problems, doc.Locate(r.Problems())...)
	if len(problems) > 0 {
		t.Fatalf("config problems: %v", problems)
	}
	return &c
}

func runProbe(t testing.TB, b *Browser, target string, c *Config, timeout time.Duration) probes.Result {
	t.Helper()
	res, _ := runProbeLog(t, b, target, c, timeout)
	return res
}

// runProbeLog runs a probe once with debug logging, and returns what it
// logged too.
func runProbeLog(t testing.TB, b *Browser, target string, c *Config, timeout time.Duration) (probes.Result, string) {
	t.Helper()
	p, err := NewNamed(b, "probe", target, c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(io.MultiWriter(&buf, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	res := p.Probe(ctx, log)
	t.Logf("result: success=%v reason=%q message=%q duration=%s diagnostics=%v", res.Success, res.Reason, res.Message, res.Duration, res.Diagnostics)
	return res, buf.String()
}

func sample(t testing.TB, res probes.Result, name string, labels ...string) float64 {
	t.Helper()
	for _, s := range res.Samples {
		if s.Name != name || len(s.Labels)*2 != len(labels) {
			continue
		}
		ok := true
		for i, l := range s.Labels {
			ok = ok && l.Name == labels[2*i] && l.Value == labels[2*i+1]
		}
		if ok {
			return s.Value
		}
	}
	t.Fatalf("no sample %s%v in %+v", name, labels, res.Samples)
	return 0
}

func TestLoginJourneyPasses(t *testing.T) {
	s := newSite(t)
	t.Setenv("TEST_LOGIN_PASSWORD", "s3cret")
	c := parseConfig(t, `
steps:
  - name: open
    navigate: /login
    timeout: 10s
  - name: user
    type: {selector: "#user", text: alice}
  - name: password
    type: {selector: "#pass", text_env: TEST_LOGIN_PASSWORD}
  - name: language
    select: {selector: "#lang", value: de}
  - name: submit
    click: "#submit"
    timeout: 5s
  - name: greeting
    wait_visible: "#greeting"
  - name: spinner gone
    wait_gone: "#spinner"
  - name: welcome
    assert_text: {selector: "#greeting", contains: "Willkommen, alice"}
    timeout: 5s
  - name: at home
    assert_url: {regexp: "/home\\?user=alice"}
  - name: script
    eval: "document.title === '' && document.querySelectorAll('h1').length === 1"
  - name: proof
    screenshot: home
`)
	res := runProbe(t, shared, s.URL, c, 30*time.Second)
	if !res.Success {
		t.Fatalf("journey failed: %s: %s", res.Reason, res.Message)
	}
	for _, step := range []string{"open", "user", "password", "submit", "welcome", "proof"} {
		if v := sample(t, res, "probe_browser_step_duration_seconds", "step", step); v <= 0 {
			t.Errorf("step %s took %v", step, v)
		}
	}
	if v := sample(t, res, "probe_browser_navigation_seconds", "phase", "load"); v <= 0 {
		t.Errorf("load = %v", v)
	}
	if v := sample(t, res, "probe_browser_web_vital_seconds", "vital", "fcp"); v <= 0 {
		t.Errorf("fcp = %v", v)
	}
	for _, smp := range res.Samples {
		if smp.Name == "probe_browser_navigation_seconds" || smp.Name == "probe_browser_web_vital_seconds" {
			if s := strconv.FormatFloat(smp.Value, 'f', -1, 64); len(s) > len("0.123456") && smp.Value < 1 {
				t.Errorf("%s%v = %s: float noise beyond the microsecond", smp.Name, smp.Labels, s)
			}
		}
	}
	if v := sample(t, res, "probe_browser_console_errors"); v != 0 {
		t.Errorf("console errors = %v", v)
	}
	if u := Kind.Undeclared(res.Samples); len(u) > 0 {
		t.Errorf("samples the kind does not declare: %v", u)
	}
	if len(res.Diagnostics) != 1 || !strings.HasSuffix(res.Diagnostics[0], "/home.png") {
		t.Fatalf("diagnostics = %v, want the home screenshot", res.Diagnostics)
	}
	decodePNG(t, filepath.Join(sharedDiag, res.Diagnostics[0]))
}

func decodePNG(t testing.TB, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Errorf("%s is only %v", path, b)
	}
}

func TestFailedAssertionSavesDiagnostics(t *testing.T) {
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - type: {selector: "#user", text: bob}
  - type: {selector: "#pass", text: wrong-password-123}
  - name: submit
    click: "#submit"
  - name: welcome
    assert_text: {selector: "#error", regexp: "^Welcome"}
    timeout: 3s
`)
	res, logged := runProbeLog(t, shared, s.URL+"/login", c, 20*time.Second)
	if strings.Contains(logged, "wrong-password-123") {
		t.Error("the typed text was logged")
	}
	if res.Success || res.Reason != probes.ReasonAssertion {
		t.Fatalf("got %v %q, want an assertion failure", res.Success, res.Reason)
	}
	if want := `step "welcome" (assert_text #error): text is "Wrong password", want it to match "^Welcome"`; res.Message != want {
		t.Errorf("message\n got %s\nwant %s", res.Message, want)
	}
	if strings.Contains(res.Message, "wrong-password-123") {
		t.Error("the typed text leaked into the message")
	}
	files := map[string]string{}
	for _, d := range res.Diagnostics {
		files[filepath.Base(d)] = filepath.Join(sharedDiag, d)
	}
	for _, f := range []string{"screenshot.png", "console.json", "requests.json"} {
		if files[f] == "" {
			t.Fatalf("no %s in %v", f, res.Diagnostics)
		}
	}
	decodePNG(t, files["screenshot.png"])
	if step, shot := FailedStep(res); step != "welcome" || filepath.Join(sharedDiag, shot) != files["screenshot.png"] {
		t.Errorf("FailedStep = %q, %q", step, shot)
	}
	if !strings.Contains(filepath.Dir(res.Diagnostics[0]), "-probe-") {
		t.Errorf("the folder %s does not name the probe", filepath.Dir(res.Diagnostics[0]))
	}
	var requests []FailedRequest
	readJSON(t, files["requests.json"], &requests)
	if data, _ := os.ReadFile(files["requests.json"]); requests == nil || strings.TrimSpace(string(data)) != "[]" {
		t.Errorf("requests.json = %s, want []", data)
	}
	if u := Kind.Undeclared(res.Samples); len(u) > 0 {
		t.Errorf("samples the kind does not declare: %v", u)
	}
	// The steps before the failure are measured too.
	sample(t, res, "probe_browser_step_duration_seconds", "step", "submit")
	sample(t, res, "probe_browser_step_duration_seconds", "step", "type_1")
}

func TestConsoleErrorsAndFailedRequests(t *testing.T) {
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - navigate: /trouble
  # Wait until the uncaught exception of the timer was thrown.
  - eval: "new Promise(r => setTimeout(() => r(true), 300))"
  - assert_text: {selector: "#done", contains: "x"}
  - name: fail on purpose
    eval: "false"
`)
	res := runProbe(t, shared, s.URL, c, 20*time.Second)
	if res.Reason != probes.ReasonAssertion || !strings.Contains(res.Message, `step "fail on purpose" (eval false)`) {
		t.Fatalf("got %q %q", res.Reason, res.Message)
	}
	if v := sample(t, res, "probe_browser_console_errors"); v != 2 {
		t.Errorf("console errors = %v, want 2 (console.error and the uncaught exception)", v)
	}
	if v := sample(t, res, "probe_browser_failed_requests"); v != 2 {
		t.Errorf("failed requests = %v, want 2 (the 404 image and the refused fetch)", v)
	}
	var console []ConsoleMessage
	var requests []FailedRequest
	for _, d := range res.Diagnostics {
		switch filepath.Base(d) {
		case "console.json":
			readJSON(t, filepath.Join(sharedDiag, d), &console)
		case "requests.json":
			readJSON(t, filepath.Join(sharedDiag, d), &requests)
		}
	}
	text := fmt.Sprint(console)
	for _, want := range []string{"something broke 42", "uncaught boom"} {
		if !strings.Contains(text, want) {
			t.Errorf("console.json lacks %q: %s", want, text)
		}
	}
	var got404, refused bool
	for _, r := range requests {
		got404 = got404 || strings.HasSuffix(r.URL, "/missing.png") && r.Status == 404
		refused = refused || strings.HasSuffix(r.URL, "/nothing") && strings.Contains(r.Error, "REFUSED")
	}
	if !got404 || !refused {
		t.Errorf("requests.json = %+v", requests)
	}
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestLargestContentfulPaintAfterDelay(t *testing.T) {
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - navigate: /lcp
  - wait_visible: "#big"
  # Let the browser paint the block and report it.
  - eval: "new Promise(r => requestAnimationFrame(() => setTimeout(() => r(true), 200)))"
`)
	res := runProbe(t, shared, s.URL, c, 20*time.Second)
	if !res.Success {
		t.Fatalf("%s: %s", res.Reason, res.Message)
	}
	lcp := sample(t, res, "probe_browser_web_vital_seconds", "vital", "lcp")
	fcp := sample(t, res, "probe_browser_web_vital_seconds", "vital", "fcp")
	if lcp < 0.6 || lcp > 10 {
		t.Errorf("lcp = %vs, want above the page's 0.6s delay", lcp)
	}
	if lcp-fcp < 0.5 {
		t.Errorf("fcp = %vs, want the first small paint about 0.6s before the lcp", fcp)
	}
	sample(t, res, "probe_browser_cls")
}

// TestInteractionToNextPaint clicks a button whose handler blocks the page
// for 150 ms as the journey's last step: the run must still see the
// interaction's event timing entry, which arrives only after the next
// paint, every time.
func TestInteractionToNextPaint(t *testing.T) {
	checkInteractionToNextPaint(t, shared, 10)
}

func checkInteractionToNextPaint(t *testing.T, b *Browser, runs int) {
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - navigate: /interact
  - click: "#slow"
`)
	for i := 0; i < runs; i++ {
		t0 := time.Now()
		res := runProbe(t, b, s.URL, c, 20*time.Second)
		took := time.Since(t0)
		if !res.Success {
			t.Fatalf("%s: %s", res.Reason, res.Message)
		}
		// At least the handler's 150 ms; the presentation after it may
		// take long on a busy machine, but not longer than the run.
		if inp := sample(t, res, MetricWebVital, "vital", "inp"); inp < 0.14 || inp > took.Seconds() {
			t.Errorf("run %d: inp = %vs, want the handler's 0.15s or more, and less than the run's %s", i, inp, took)
		}
		if v := sample(t, res, MetricWebVitalAvailable, "vital", "inp"); v != 1 {
			t.Errorf("run %d: inp available = %v", i, v)
		}
	}
	// Without an interaction there is no INP to report, and the run says so.
	res := runProbe(t, b, s.URL+"/plain", &Config{}, 20*time.Second)
	for _, smp := range res.Samples {
		if smp.Name == MetricWebVital && smp.Labels[0].Value == "inp" {
			t.Errorf("inp reported without an interaction: %v", smp.Value)
		}
	}
	if v := sample(t, res, MetricWebVitalAvailable, "vital", "inp"); v != 0 {
		t.Errorf("inp available = %v without an interaction", v)
	}
}

// TestVitalsOfTheLastPage ends a multi-page journey on a navigation, when
// the new page has barely painted: every run still reports its paints.
func TestVitalsOfTheLastPage(t *testing.T) {
	checkVitalsOfTheLastPage(t, shared)
}

func checkVitalsOfTheLastPage(t *testing.T, b *Browser) {
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - navigate: /login
  - type: {selector: "#user", text: alice}
  - navigate: /cookie
  - navigate: /plain
`)
	for i := 0; i < 5; i++ {
		res := runProbe(t, b, s.URL, c, 20*time.Second)
		if !res.Success {
			t.Fatalf("%s: %s", res.Reason, res.Message)
		}
		for _, v := range []string{"fcp", "lcp", "cls"} {
			if a := sample(t, res, MetricWebVitalAvailable, "vital", v); a != 1 {
				t.Errorf("run %d: %s not available", i, v)
			}
		}
		if fcp := sample(t, res, MetricWebVital, "vital", "fcp"); fcp <= 0 || fcp > 5 {
			t.Errorf("run %d: fcp = %v", i, fcp)
		}
	}
	// A page with nothing to paint has no paint timings, and says so
	// after a bounded wait.
	res := runProbe(t, b, s.URL+"/blank", &Config{}, 20*time.Second)
	if !res.Success {
		t.Fatalf("%s: %s", res.Reason, res.Message)
	}
	for _, v := range []string{"fcp", "lcp"} {
		if a := sample(t, res, MetricWebVitalAvailable, "vital", v); a != 0 {
			t.Errorf("blank page: %s available = %v", v, a)
		}
	}
}

func TestPageThatNeverLoadsTimesOut(t *testing.T) {
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - name: open
    navigate: /hang
    timeout: 1s
`)
	res := runProbe(t, shared, s.URL, c, 20*time.Second)
	if res.Reason != probes.ReasonTimeout {
		t.Fatalf("reason %q, want timeout", res.Reason)
	}
	if want := `step "open" (navigate /hang): timed out after 1s waiting for the page to load`; res.Message != want {
		t.Errorf("message %q", res.Message)
	}
	if res.Duration > 10*time.Second {
		t.Errorf("took %s", res.Duration)
	}

	// The probe's own deadline ends a journey with no step timeout.
	c = parseConfig(t, `steps: [{navigate: /hang}]`)
	res = runProbe(t, shared, s.URL, c, 6*time.Second)
	if res.Reason != probes.ReasonTimeout || !strings.Contains(res.Message, "the probe's timeout") {
		t.Fatalf("got %q %q", res.Reason, res.Message)
	}
	if res.Duration > 8*time.Second {
		t.Errorf("the run overran its 6s deadline: %s", res.Duration)
	}
}

func TestDialogsAreAccepted(t *testing.T) {
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - eval: "alert('hello') || confirm('sure?')"
    timeout: 5s
  - eval: "prompt('name?', 'ada') === 'ada'"
    timeout: 5s
`)
	if res := runProbe(t, shared, s.URL+"/plain", c, 20*time.Second); !res.Success {
		t.Fatalf("%s: %s", res.Reason, res.Message)
	}
}

// TestRunsShareNothing checks that cookies and the cache of one run do not
// reach the next, while they work within a run.
func TestRunsShareNothing(t *testing.T) {
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - navigate: /cookie
  - assert_text: {selector: "#seen", contains: "no cookie"}
    timeout: 2s
  - navigate: /cookie
  - assert_text: {selector: "#seen", contains: "cookie yes"}
    timeout: 2s
  - navigate: /cachepage
  - eval: "document.getElementById('img').complete"
`)
	for i := 0; i < 2; i++ {
		if res := runProbe(t, shared, s.URL, c, 20*time.Second); !res.Success {
			t.Fatalf("run %d: %s: %s", i, res.Reason, res.Message)
		}
	}
	if n := s.cached.Load(); n != 2 {
		t.Errorf("the cacheable image was fetched %d times in two runs, want once a run", n)
	}
}

func TestTargetIsOpenedFirst(t *testing.T) {
	s := newSite(t)
	c := parseConfig(t, `steps: [{assert_text: {selector: "#ok", contains: good}}]`)
	res := runProbe(t, shared, s.URL+"/plain", c, 20*time.Second)
	if !res.Success {
		t.Fatalf("%s: %s", res.Reason, res.Message)
	}
	sample(t, res, "probe_browser_step_duration_seconds", "step", "target")

	res = runProbe(t, shared, s.URL+"/broken", &Config{}, 20*time.Second)
	if res.Reason != probes.ReasonStatusCode || !strings.Contains(res.Message, "status 500") {
		t.Fatalf("got %q %q", res.Reason, res.Message)
	}
	res = runProbe(t, shared, "http://unresolvable.invalid/", &Config{}, 20*time.Second)
	if res.Reason != probes.ReasonDNS {
		t.Fatalf("got %q %q", res.Reason, res.Message)
	}
}

func TestStepFailures(t *testing.T) {
	s := newSite(t)
	for _, tc := range []struct {
		step, reason, message string
	}{
		{`{name: lang, select: {selector: "#lang", value: fr}}`, probes.ReasonStep,
			`step "lang" (select #lang): cannot select "fr": it has no option with that value`},
		{`{name: missing, click: "#nope", timeout: 500ms}`, probes.ReasonTimeout,
			`step "missing" (click #nope): timed out after 500ms waiting for the element to be visible`},
		{`{name: stays, wait_gone: "#submit", timeout: 500ms}`, probes.ReasonTimeout,
			`step "stays" (wait_gone #submit): timed out after 500ms waiting for the element to disappear`},
		{`{name: bad, wait_gone: "#a[", timeout: 2s}`, probes.ReasonStep,
			`step "bad" (wait_gone #a[): invalid selector: Failed to execute 'querySelector' on 'Document': '#a[' is not a valid selector.`},
		{`{name: url, assert_url: {contains: /elsewhere}, timeout: 500ms}`, probes.ReasonAssertion,
			`step "url" (assert_url contains "/elsewhere"): URL is "` + s.URL + `/login", want it to contain "/elsewhere"`},
		{`{name: throws, eval: "nope()"}`, probes.ReasonStep,
			`step "throws" (eval nope()): the expression threw ReferenceError: nope is not defined`},
	} {
		c := parseConfig(t, "steps: ["+tc.step+"]")
		res := runProbe(t, shared, s.URL+"/login", c, 20*time.Second)
		if res.Reason != tc.reason || res.Message != tc.message {
			t.Errorf("%s:\n got %q %s\nwant %q %s", tc.step, res.Reason, res.Message, tc.reason, tc.message)
		}
	}
}
