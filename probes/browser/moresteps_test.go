package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
)

func TestKeysHoverUploadURLCookiesAndHeaders(t *testing.T) {
	s := newSite(t)
	t.Setenv("TEST_PROBE_HEADER", "hdr-value")
	c := parseConfig(t, `
steps:
  - set_cookie: {name: session, value: abc123}
  - set_header: {name: X-Probe, value_env: TEST_PROBE_HEADER}
  - navigate: /echo
  - assert_text: {selector: "#cookie", contains: "cookie abc123"}
  - assert_text: {selector: "#header", contains: "header hdr-value"}
  - navigate: /keys
  - type: {selector: "#q", text: shoes}
  - press: {key: Enter, selector: "#q"}
  - assert_text: {selector: "#out", contains: "searched: shoes"}
    timeout: 3s
  - press: {key: Escape}
  - wait_gone: "#modal"
    timeout: 3s
  - navigate: /hover
  - name: menu
    hover: "#menu"
  - wait_visible: "#submenu"
    timeout: 3s
  - navigate: /upload
  - upload: {selector: "#f", file: testdata/password.txt}
  - assert_text: {selector: "#out", contains: "password.txt: s3cret"}
    timeout: 3s
  - navigate: /later
  - wait_url: {regexp: "/plain\\?arrived$"}
    timeout: 5s
`)
	res := runProbe(t, shared, s.URL, c, 40*time.Second)
	if !res.Success {
		t.Fatalf("%s: %s", res.Reason, res.Message)
	}
	for _, step := range []string{"set_cookie_1", "set_header_2", "press_8", "menu", "upload_16", "wait_url_19"} {
		sample(t, res, MetricStepDuration, "step", step)
	}
}

// Cookies and headers set before the first page reach the implicit
// navigation to the target, which comes after them.
func TestSetUpBeforeTheTarget(t *testing.T) {
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - set_cookie: {name: session, value: early}
  - set_header: {name: X-Probe, value: first}
  - assert_text: {selector: "#cookie", contains: "cookie early"}
  - assert_text: {selector: "#header", contains: "header first"}
`)
	p, err := New(shared, s.URL+"/echo", c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range p.(*prober).steps {
		names = append(names, st.name)
	}
	if got := strings.Join(names, " "); got != "set_cookie_1 set_header_2 target assert_text_3 assert_text_4" {
		t.Errorf("steps %s", got)
	}
	if res := runProbe(t, shared, s.URL+"/echo", c, 20*time.Second); !res.Success {
		t.Fatalf("%s: %s", res.Reason, res.Message)
	}
	// Without a page after it, a cookie has nowhere to go.
	if _, err := New(shared, "", &Config{Steps: []Step{{SetCookie: &SetCookie{Name: "a", Value: "b"}}, {Navigate: "http://127.0.0.1/"}, {SetCookie: &SetCookie{Name: "c", Value: "d"}}}}); err == nil ||
		err.Error() != "steps[2].set_cookie: set url or domain: no page is opened after it" {
		t.Errorf("got %v", err)
	}
}

func TestMoreStepFailures(t *testing.T) {
	s := newSite(t)
	for _, tc := range []struct {
		page, step, reason, message string
	}{
		{"/plain", `{name: url, wait_url: {contains: /elsewhere}, timeout: 500ms}`, probes.ReasonTimeout,
			`step "url" (wait_url contains "/elsewhere"): timed out after 500ms waiting for the URL to contain "/elsewhere" (it is "` + s.URL + `/plain")`},
		{"/plain", `{name: hover, hover: "#nope", timeout: 500ms}`, probes.ReasonTimeout,
			`step "hover" (hover #nope): timed out after 500ms waiting for the element to be visible`},
		{"/keys", `{name: key, press: {key: Enter, selector: "#nope"}, timeout: 500ms}`, probes.ReasonTimeout,
			`step "key" (press Enter in #nope): timed out after 500ms waiting for the element to be visible`},
		{"/keys", `{name: file, upload: {selector: "#q", file: testdata/password.txt}, timeout: 2s}`, probes.ReasonStep,
			`step "file" (upload #q): the element is not a file input`},
		// The button is there and visible; its click handler keeps the
		// page busy past the step's timeout.
		{"/busy", `{name: busy, click: "#b", timeout: 1s}`, probes.ReasonTimeout,
			`step "busy" (click #b): timed out after 1s waiting for the page to handle the click (the element was visible)`},
	} {
		c := parseConfig(t, "steps: ["+tc.step+"]")
		res := runProbe(t, shared, s.URL+tc.page, c, 20*time.Second)
		if res.Reason != tc.reason || res.Message != tc.message {
			t.Errorf("%s:\n got %q %s\nwant %q %s", tc.step, res.Reason, res.Message, tc.reason, tc.message)
		}
	}
}

func TestAssertNoConsoleErrors(t *testing.T) {
	s := newSite(t)
	c := parseConfig(t, `
assert_no_console_errors: true
steps:
  - navigate: /trouble
  - eval: "new Promise(r => setTimeout(() => r(true), 300))"
`)
	res := runProbe(t, shared, s.URL, c, 20*time.Second)
	if res.Reason != probes.ReasonAssertion || !strings.HasPrefix(res.Message,
		`the pages logged 2 console errors (assert_no_console_errors); the first: "something broke 42" at `+s.URL+`/trouble:`) {
		t.Fatalf("got %q %q", res.Reason, res.Message)
	}
	if v := sample(t, res, MetricConsoleErrors); v != 2 {
		t.Errorf("console errors %v", v)
	}
	var shot bool
	for _, d := range res.Diagnostics {
		shot = shot || strings.HasSuffix(d, "/screenshot.png")
	}
	if !shot {
		t.Errorf("no screenshot in %v", res.Diagnostics)
	}

	// Ignored errors neither fail the run nor count.
	c = parseConfig(t, `
assert_no_console_errors: true
ignore_console_errors: ["something broke", "uncaught boom"]
steps:
  - navigate: /trouble
  - eval: "new Promise(r => setTimeout(() => r(true), 300))"
`)
	res = runProbe(t, shared, s.URL, c, 20*time.Second)
	if !res.Success {
		t.Fatalf("%s: %s", res.Reason, res.Message)
	}
	if v := sample(t, res, MetricConsoleErrors); v != 0 {
		t.Errorf("console errors %v, want the ignored ones left out", v)
	}
}
