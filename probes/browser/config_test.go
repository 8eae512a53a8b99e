package browser

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/conf"
)

// problems decodes and validates a probe's browser section as the agent
// does, and renders each problem as line:field: message.
func problems(t *testing.T, data []byte, v conf.Validator) []string {
	t.Helper()
	doc, ps := conf.Decode("x.yml", data, v, nil)
	r := conf.NewReport()
	v.Validate(r)
	ps = append(ps, doc.Locate(r.Problems())...)
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%d:%s: %s", p.Line, p.Field, p.Msg))
	}
	return out
}

func TestInvalidConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid-*.yml")
	if len(files) == 0 {
		t.Fatal("no test configs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					want = append(want, w)
				}
			}
			got := problems(t, data, &Config{})
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestValidConfig(t *testing.T) {
	data, err := os.ReadFile("testdata/valid-journey.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	doc, ps := conf.Decode("x.yml", data, &c, nil)
	r := conf.NewReport()
	c.Validate(r)
	if ps = append(ps, doc.Locate(r.Problems())...); len(ps) > 0 {
		t.Fatal(ps)
	}
	p, err := New(NewBrowser(Options{}, "", nil), "", &c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range p.(*prober).steps {
		names = append(names, s.name)
	}
	want := "open type_2 type_3 select_4 click_5 wait_visible_6 wait_gone_7 assert_text_8 assert_url_9 eval_10 screenshot_11"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("step names %s, want %s", got, want)
	}
	text, err := c.Steps[2].Type.text()
	if err != nil || text != "s3cret" {
		t.Errorf("text_file gave %q, %v", text, err)
	}
	if s := fmt.Sprint(c.Steps[1].Type.Text); s != conf.Redacted {
		t.Errorf("typed text prints as %q", s)
	}
}

func TestNewResolvesNavigation(t *testing.T) {
	b := NewBrowser(Options{}, "", nil)
	c := &Config{Steps: []Step{{Click: "#a"}, {Navigate: "/next?x=1"}}}
	p, err := New(b, "http://127.0.0.1:8080/app/", c)
	if err != nil {
		t.Fatal(err)
	}
	steps := p.(*prober).steps
	if len(steps) != 3 || steps[0].name != "target" || steps[0].url != "http://127.0.0.1:8080/app/" || steps[2].url != "http://127.0.0.1:8080/next?x=1" {
		t.Errorf("steps %+v", steps)
	}
	if _, err := New(b, "", c); err == nil || !strings.Contains(err.Error(), "relative") {
		t.Errorf("relative navigate without a target: %v", err)
	}
	if _, err := New(b, "", &Config{}); err == nil {
		t.Error("a probe with nothing to do was accepted")
	}
	// A step named like the implicit one keeps its name.
	p, err = New(b, "http://127.0.0.1/", &Config{Steps: []Step{{Name: "target", Click: "#a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.(*prober).steps; s[0].name != "_target" || s[1].name != "target" {
		t.Errorf("names %q %q", s[0].name, s[1].name)
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct{ yml, want string }{
		{"max_concurrent_runs: -1\n", "1:max_concurrent_runs: must not be negative"},
		{"memory_limit: 10MB\n", "1:memory_limit: 10MB is too small for Chromium (at least 64MiB)"},
		{"memory_limit: lots\n", `1:memory_limit: invalid size "lots" (use bytes, or a number and a unit: KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024))`},
		{"extra_flags: [lang=de]\n", `1:extra_flags[0]: "lang=de" is not a flag (write --name or --name=value)`},
		{"extra_flags: [--lang=de, --user-data-dir=/x]\n", "1:extra_flags[1]: --user-data-dir is set by the agent"},
		{"diagnostics: {max_files: -2}\n", "1:diagnostics.max_files: must not be negative"},
		{"max_queue_wait: soon\n", `1:max_queue_wait: invalid duration "soon" (use a number and a unit: ms, s, m, h, d, w)`},
	} {
		got := problems(t, []byte(tc.yml), &Options{})
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%q: got %q, want %q", tc.yml, got, tc.want)
		}
	}
	var o Options
	if ps := problems(t, []byte("chromium_path: /opt/chrome\nmemory_limit: 1.5GiB\nrestart_after_runs: 50\ndiagnostics: {max_bytes: 20MB}\n"), &o); len(ps) > 0 {
		t.Fatal(ps)
	}
	if o.MemoryLimit != 3<<29 || o.Diagnostics.MaxBytes != 20e6 || o.restartAfter() != 50 || o.maxConcurrent() != 1 {
		t.Errorf("%+v", o)
	}
	if d := (Options{}); d.memoryLimit() != DefaultMemoryLimit || d.restartAfter() != DefaultRestartAfterRuns || d.diagMaxFiles() != DefaultDiagMaxFiles || d.maxQueueWait() != DefaultMaxQueueWait {
		t.Errorf("defaults %+v", d)
	}
}

// text_env and text_file are read at each run; the loader decides whether
// their absence is an error (to run) or a warning (to check).
func TestRunTimeInputs(t *testing.T) {
	c := Config{Steps: []Step{
		{Type: &TypeAction{Selector: "#u", Text: "alice"}},
		{Type: &TypeAction{Selector: "#p", TextEnv: "SHOP_PASSWORD"}},
		{Click: "#go"},
		{Type: &TypeAction{Selector: "#otp", TextFile: "/run/secrets/otp"}},
	}}
	got := c.RunTimeInputs()
	want := []conf.RunTimeInput{
		{Field: "steps[1].type.text_env", Env: "SHOP_PASSWORD"},
		{Field: "steps[3].type.text_file", File: "/run/secrets/otp"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inputs %+v, want %+v", got, want)
	}
}
