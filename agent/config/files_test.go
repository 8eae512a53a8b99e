package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/agent/discovery"
	"github.com/sloagent/sloagent/internal/conf"
)

// A directory, or a glob, is one config: the files' lists one after the
// other in the files' lexical order, each section from the file that sets
// it, and other files of the directory left alone.
func TestConfigOfSeveralFiles(t *testing.T) {
	for _, path := range []string{"testdata/split", "testdata/split/*.y*ml", "testdata/split/[1-3]0-*.y*ml"} {
		t.Run(path, func(t *testing.T) {
			cfg, err := LoadFile(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range cfg.Probes {
				names = append(names, p.Name)
			}
			if !slices.Equal(names, []string{"home", "api"}) || cfg.Agent.Name != "edge-1" || cfg.Agent.Labels["env"] != "prod" ||
				len(cfg.SLOs) != 1 || cfg.Probes[1].Labels["team"] != "api" {
				t.Errorf("merged config: probes %v, agent %+v, slos %d", names, cfg.Agent, len(cfg.SLOs))
			}
		})
	}
}

// Every problem of a config of several files names its file and line; the
// same name in two files is an error that says where the other is.
func TestInvalidConfigOfSeveralFiles(t *testing.T) {
	_, err := LoadFile("testdata/invalid-split", nil)
	want := `testdata/invalid-split/b.yml:1: agent: also set in testdata/invalid-split/a.yml:1; a section may be set in one file only
testdata/invalid-split/b.yml:6: probes[1].name: duplicate probe name "home" (also probes[0] in testdata/invalid-split/a.yml:4)
testdata/invalid-split/b.yml:8: probes[1].intreval: unknown field "intreval"
testdata/invalid-split/b.yml:10: slos[0].name: duplicate SLO name "home-availability" (first used by slos[0] in testdata/invalid-split/a.yml:7)
testdata/invalid-split/b.yml:11: slos[0].probes[0]: no probe named "missing"`
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	var ce *conf.Error
	if !errors.As(err, &ce) || ce.File != "testdata/invalid-split/b.yml" {
		t.Errorf("errors.As finds %+v", ce)
	}
}

func TestConfigFilesNotFound(t *testing.T) {
	dir := t.TempDir()
	for path, want := range map[string]string{
		dir:                         dir + ": no *.yml or *.yaml config files in the directory",
		filepath.Join(dir, "*.yml"): filepath.Join(dir, "*.yml") + ": no config files match",
		filepath.Join(dir, "x.yml"): "no such file or directory",
	} {
		if _, err := LoadFile(path, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", path, err, want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.yml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := LoadFile(dir, nil); err != nil || len(cfg.Probes) != 0 {
		t.Errorf("a directory of an empty file: %v", err)
	}
}

// The secrets of every file are hidden in what the merged config shows.
func TestSecretsOfSeveralFilesRedacted(t *testing.T) {
	t.Setenv("SLOAGENT_TEST_TOKEN", "tok-from-env-123")
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yml", "probes:\n  - {name: a, target: \"http://127.0.0.1/\"}\n")
	write("b.yml", "probes:\n  - name: b\n    target: \"http://127.0.0.1/\"\n    http: {headers: {X-Token: \"${SLOAGENT_TEST_TOKEN}\"}}\n")
	cfg, err := LoadFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfg.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "tok-from-env-123") || !strings.Contains(string(out), "<secret>") {
		t.Errorf("redacted config shows the second file's secret:\n%s", out)
	}
}

// A template's probes are named after it and the target, uniquely; they
// take the target group's labels but its meta labels, the template's
// winning.
func TestTemplateProbes(t *testing.T) {
	cfg, err := Parse("d.yml", []byte(`
probes:
  - {name: "web:taken.example", target: "http://127.0.0.1/"}
discovery:
  - template: {name: web, target: "https://{host}:{port}/healthz", labels: {tier: "1"}}
    file_sd_configs: [{files: [t.json]}]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := []discovery.Target{
		{Address: "a.example:443", Labels: map[string]string{"team": "shop", "tier": "9", "__meta_filepath": "t.json"}},
		{Address: "b.example/x:1", Labels: nil},
		{Address: "b.example_x:1", Labels: nil},
		{Address: "taken.example", Labels: nil},
		{Address: "c.example:80", Labels: map[string]string{"bad-name": "x"}},
	}
	full, errs := cfg.WithTargets(func(string) []discovery.Target { return ts }, nil)
	var names []string
	for _, p := range full.Probes {
		names = append(names, p.Name+" "+p.Target.Reveal())
	}
	want := []string{"web:taken.example http://127.0.0.1/", "web:a.example:443 https://a.example:443/healthz",
		"web:b.example_x:1-3d5eca6b https://b.example/x:1/healthz", "web:b.example_x:1-08857e3b https://b.example_x:1/healthz"}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("probes:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if l := full.Probes[1].Labels; len(l) != 2 || l["team"] != "shop" || l["tier"] != "1" {
		t.Errorf("labels %v", l)
	}
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), `probe name "web:taken.example" is taken`) ||
		!strings.Contains(errs[1].Error(), `invalid label name "bad-name"`) {
		t.Errorf("errors %v", errs)
	}
}
