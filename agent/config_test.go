package agent

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestInvalidConfigs(t *testing.T) {
	cases := map[string]string{
		"invalid-duplicate-name.yml": `testdata/invalid-duplicate-name.yml:4: probes[1].name: duplicate probe name "home" (also probes[0])`,
		"invalid-duration.yml":       `testdata/invalid-duration.yml:4: probes[0].interval: invalid duration "5 seconds" (use a number and a unit: ms, s, m, h, d, w)`,
		"invalid-env.yml":            `testdata/invalid-env.yml:3: probes[0].target: environment variable SLOAGENT_TEST_UNSET_HOST is not set`,
		"invalid-kind.yml":           `testdata/invalid-kind.yml:3: probes[0].kind: unknown probe kind "gopher" (known: http, browser, plugin, command)`,
		"invalid-labels.yml": `testdata/invalid-labels.yml:3: agent.labels.probe: label "probe" is set by the agent and cannot be configured
testdata/invalid-labels.yml:8: probes[0].labels.team-name: invalid label name "team-name"`,
		"invalid-many.yml": `testdata/invalid-many.yml:2: agent.max_concurrent_runs: must be positive, got -1
testdata/invalid-many.yml:5: probes[0].target: target "ftp://127.0.0.1/" must be an http:// or https:// URL
testdata/invalid-many.yml:6: probes[0].timeout: invalid duration "2x" (use a number and a unit: ms, s, m, h, d, w)
testdata/invalid-many.yml:7: probes[1].name: duplicate probe name "home" (also probes[0])
testdata/invalid-many.yml:10: probes[1].timeout: timeout 2s must be shorter than interval 1s
testdata/invalid-many.yml:11: probes[2].name: missing probe name
testdata/invalid-many.yml:12: probes[2].colour: unknown field "colour"`,
		"invalid-missing-target.yml": `testdata/invalid-missing-target.yml:2: probes[0].target: missing target URL`,
		"invalid-regexp.yml":         `testdata/invalid-regexp.yml:7: probes[0].http.fail_if_body_matches_regexp[1]: invalid regular expression "(unclosed": missing closing ): ` + "`(unclosed`",
		"invalid-timeout.yml":        `testdata/invalid-timeout.yml:5: probes[0].timeout: timeout 5s must be shorter than interval 5s`,
		"invalid-unknown-key.yml": `testdata/invalid-unknown-key.yml:2: agent.nmae: unknown field "nmae"
testdata/invalid-unknown-key.yml:6: probes[0].intreval: unknown field "intreval"`,
		"invalid-yaml.yml": `testdata/invalid-yaml.yml:1: did not find expected '-' indicator`,
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			_, err := LoadFile("testdata/"+file, nil)
			if err == nil {
				t.Fatal("config loaded; want an error")
			}
			if got := err.Error(); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestValidConfigDefaults(t *testing.T) {
	cfg, err := LoadFile("testdata/valid-full.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Agent.Labels["env"]; got != "prod" {
		t.Errorf("agent label env = %q", got)
	}
	home, api := cfg.Probes[0], cfg.Probes[1]
	if home.Kind != KindHTTP || home.Interval.D() != 10*time.Second || home.Timeout.D() != 3*time.Second {
		t.Errorf("home: kind %q interval %s timeout %s", home.Kind, home.Interval, home.Timeout)
	}
	if api.Interval.D() != DefaultInterval || api.Timeout.D() != DefaultTimeout {
		t.Errorf("api defaults: interval %s timeout %s", api.Interval, api.Timeout)
	}
	if api.HTTP == nil {
		t.Error("http section not defaulted")
	}
}

func TestShortIntervalGetsShorterDefaultTimeout(t *testing.T) {
	cfg, err := Parse("x.yml", []byte("probes:\n  - name: a\n    target: http://127.0.0.1/\n    interval: 5s\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Probes[0].Timeout.D(); got != 4*time.Second {
		t.Errorf("timeout = %s, want 4s", got)
	}
}

func TestEnvExpansion(t *testing.T) {
	t.Setenv("SLOAGENT_TEST_HOST", "127.0.0.1:9999")
	cfg, err := Parse("x.yml", []byte("probes:\n  - name: a\n    target: http://${SLOAGENT_TEST_HOST}/$$x\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Probes[0].Target; got != "http://127.0.0.1:9999/$x" {
		t.Errorf("target = %q", got)
	}
}

func TestEmbeddedDefaultConfigLoads(t *testing.T) {
	a := New(Options{ListenAddress: ":9470"})
	cfg, err := a.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Probes) == 0 {
		t.Fatal("default config has no probes")
	}
	for _, p := range cfg.Probes {
		if !strings.HasPrefix(p.Target, "http://127.0.0.1:9470/") {
			t.Errorf("probe %s target %q does not point at the agent", p.Name, p.Target)
		}
	}
}

func TestCheckConfigCommand(t *testing.T) {
	var out, errb strings.Builder
	if code := Main([]string{"check-config", "testdata/valid-full.yml"}, &out, &errb); code != 0 {
		t.Fatalf("valid config: exit %d, stderr %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "OK, 2 probes") {
		t.Errorf("stdout %q", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := Main([]string{"check-config", "testdata/invalid-many.yml"}, &out, &errb); code != 1 {
		t.Fatalf("invalid config: exit %d", code)
	}
	if n := strings.Count(errb.String(), "testdata/invalid-many.yml:"); n != 7 {
		t.Errorf("want all 7 problems reported, got %d:\n%s", n, errb.String())
	}
	if code := Main([]string{"check-config", "testdata/does-not-exist.yml"}, &out, &errb); code != 1 {
		t.Errorf("missing file: exit %d", code)
	}
	if _, err := os.Stat("testdata/does-not-exist.yml"); err == nil {
		t.Fatal("fixture should not exist")
	}
}

// The example config is what users copy; it must stay valid, browser check
// included.
func TestExampleConfigIsValid(t *testing.T) {
	t.Setenv("SLOAGENT_EXAMPLE_API_KEY", "example")
	var out, errb strings.Builder
	if code := Main([]string{"check-config", "../configs/example.yml"}, &out, &errb); code != 0 {
		t.Fatalf("configs/example.yml: exit %d\n%s", code, errb.String())
	}
}
