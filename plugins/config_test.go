package plugins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/conf"
)

// section stands for the agent's config file around the plugin sections.
type section struct {
	Plugins []Config `yaml:"plugins"`
	Probe   struct {
		Plugin *ProbeConfig `yaml:"plugin"`
	} `yaml:"probe"`
}

func decode(t *testing.T, yml string) (*section, []string) {
	t.Helper()
	var s section
	doc, problems := conf.Decode("test.yml", []byte(yml), &s, func(k string) (string, bool) {
		return map[string]string{"TOKEN": "s3cret"}[k], k == "TOKEN"
	})
	r := conf.NewReport()
	pr := r.At("plugins")
	for i := range s.Plugins {
		s.Plugins[i].Defaults()
		s.Plugins[i].Validate(pr.Index("", i))
	}
	ValidateList(s.Plugins, pr)
	if s.Probe.Plugin != nil {
		ValidateProbe(s.Plugins, s.Probe.Plugin, r.At("probe.plugin"))
	}
	var out []string
	for _, p := range doc.Locate(append(problems, r.Problems()...)) {
		out = append(out, p.String())
	}
	return &s, out
}

func TestConfig(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "plugin")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExe := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(notExe, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, problems := decode(t, `
plugins:
  - name: redis
    command: `+exe+`
    args: [--verbose]
    sha256: `+strings.Repeat("0f", 32)+`
    env:
      TOKEN: ${TOKEN}
    inherit_env: [PATH]
    auto_mtls: false
    start_timeout: 3s
probe:
  plugin:
    name: redis
    settings:
      send: "PING\r\n"
      nested: {1: one, list: [a, 2]}
`)
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	c := s.Plugins[0]
	if c.Env["TOKEN"].Reveal() != "s3cret" || *c.AutoMTLS || c.StartTimeout.D().String() != "3s" ||
		c.RestartBackoff.D() != DefaultRestartBackoff || c.MaxRestartBackoff.D() != DefaultMaxRestartBackoff {
		t.Errorf("decoded %+v", c)
	}
	js, err := settingsJSON(s.Probe.Plugin.Settings)
	if err != nil || string(js) != `{"nested":{"1":"one","list":["a",2]},"send":"PING\r\n"}` {
		t.Errorf("settings JSON %s %v", js, err)
	}

	_, problems = decode(t, `
plugins:
  - name: Redis
    command: redis-plugin
    sha256: abc
    env: {"A-B": x}
    colour: blue
  - name: dup
    command: `+notExe+`
  - name: dup
    command: /nonexistent/plugin
    restart_backoff: 10s
    max_restart_backoff: 1s
probe:
  plugin:
    name: missing
`)
	want := []string{
		`3: plugins[0].name: invalid plugin name "Redis": use lower-case letters, digits, '_' and '-'`,
		`4: plugins[0].command: command "redis-plugin" must be a path to the plugin executable`,
		`5: plugins[0].sha256: must be 64 hex digits, got "abc"`,
		`6: plugins[0].env.A-B: invalid environment variable name "A-B"`,
		`7: plugins[0].colour: unknown field "colour"`,
		`9: plugins[1].command: ` + notExe + ` is not executable`,
		`10: plugins[2].name: duplicate plugin name "dup" (also plugins[1])`,
		`11: plugins[2].command: stat /nonexistent/plugin: no such file or directory`,
		`13: plugins[2].max_restart_backoff: must not be shorter than restart_backoff (10s)`,
		`16: probe.plugin.name: no plugin named "missing" in the plugins list (declared: Redis, dup)`,
	}
	if strings.Join(problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
}
