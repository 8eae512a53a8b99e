package config

import (
	"github.com/sloagent/sloagent/internal/conf"
	"strings"
	"testing"
	"time"
)

func TestInvalidConfigs(t *testing.T) {
	cases := map[string]string{
		"invalid-discovery.yml": `testdata/invalid-discovery.yml:5: discovery[0].template.timeout: invalid duration "2x" (use a number and a unit: ms, s, m, h, d, w)
testdata/invalid-discovery.yml:6: discovery[0].template.labels.probe: label "probe" is set by the agent and cannot be configured
testdata/invalid-discovery.yml:8: discovery[0].file_sd_configs[0].files[0]: "targets.txt" must end in .json, .yml or .yaml
testdata/invalid-discovery.yml:10: discovery[0].dns_sd_configs[0].port: A records need a port (1-65535), got 0
testdata/invalid-discovery.yml:13: discovery[1].template.name: duplicate template name "web" (also discovery[0])
testdata/invalid-discovery.yml:15: discovery[1].http_sd_configs[0].url: target "ftp://sd.example/" must be an http:// or https:// URL
testdata/invalid-discovery.yml:16: discovery[1].http_sd_configs[0].refresh_interval: must be at least 1s (got 10ms)
testdata/invalid-discovery.yml:17: discovery[1].target_limit: target_limit -1 is negative: give the most targets a source may find, or 0 for no limit`,
		"invalid-duplicate-name.yml": `testdata/invalid-duplicate-name.yml:4: probes[1].name: duplicate probe name "home" (also probes[0])`,
		"invalid-duration.yml":       `testdata/invalid-duration.yml:4: probes[0].interval: invalid duration "5 seconds" (use a number and a unit: ms, s, m, h, d, w)`,
		"invalid-env.yml":            `testdata/invalid-env.yml:3: probes[0].target: environment variable SLOAGENT_TEST_UNSET_HOST is not set`,
		"invalid-kind.yml":           `testdata/invalid-kind.yml:3: probes[0].kind: unknown probe kind "gopher" (known: http, browser, plugin, command, tcp, dns, icmp, grpc, api)`,
		// In flow style every error still names its own field.
		"invalid-flow.yml": `testdata/invalid-flow.yml:1: probes[0].interval: invalid duration "5x" (use a number and a unit: ms, s, m, h, d, w)
testdata/invalid-flow.yml:1: probes[1].http.valid_status_codes[0]: cannot unmarshal !!str ` + "`abc`" + ` into int
testdata/invalid-flow.yml:1: probes[1].timeout: timeout 2s must be shorter than interval 1s
testdata/invalid-flow.yml:2: slos[0].objective: must be a percentage above 0 and below 100, such as 99.9 (got 190)`,
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
		"invalid-state-flush.yml":    `testdata/invalid-state-flush.yml:2: agent.state_flush_interval: must be at least 1s, got 1ms`,
		"invalid-text-env.yml": `testdata/invalid-text-env.yml:7: probes[0].browser.steps[0].type.text_env: environment variable SLOAGENT_TEST_UNSET_PASSWORD is not set (read at each run)
testdata/invalid-text-env.yml:8: probes[0].browser.steps[1].type.text_file: stat /nonexistent/otp: no such file or directory (read at each run)`,
		"invalid-timeout.yml": `testdata/invalid-timeout.yml:5: probes[0].timeout: timeout 5s must be shorter than interval 5s`,
		"invalid-unknown-key.yml": `testdata/invalid-unknown-key.yml:2: agent.nmae: unknown field "nmae"
testdata/invalid-unknown-key.yml:6: probes[0].intreval: unknown field "intreval"`,
		"invalid-yaml.yml": `testdata/invalid-yaml.yml:1: did not find expected '-' indicator`,
		"invalid-oncall.yml": `testdata/invalid-oncall.yml:5: probes[0].alert.failures: must be at least 1 (got -1)
testdata/invalid-oncall.yml:5: probes[0].alert.severity: unknown severity "critical" (use page or ticket)
testdata/invalid-oncall.yml:5: probes[0].alert.runbook_url: not an absolute URL: "runbooks/home"
testdata/invalid-oncall.yml:5: probes[0].alert.labels.slo: label "slo" is set by the agent on every alert
testdata/invalid-oncall.yml:6: alerting.evaluation_interval: must be at least 1s (got 100ms)
testdata/invalid-oncall.yml:7: incidents.open_on[0]: unknown severity "pager" (use page or ticket)
testdata/invalid-oncall.yml:7: incidents.retention: must be at least 1d (got 1h)
testdata/invalid-oncall.yml:10: notifications.alertmanagers[0].url: url "alertmanager:9093" must be an http:// or https:// URL with a host`,
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
	if home.Kind != "http" || home.Interval.D() != 10*time.Second || home.Timeout.D() != 3*time.Second {
		t.Errorf("home: kind %q interval %s timeout %s", home.Kind, home.Interval, home.Timeout)
	}
	if api.Interval.D() != DefaultInterval || api.Timeout.D() != DefaultTimeout {
		t.Errorf("api defaults: interval %s timeout %s", api.Interval, api.Timeout)
	}
	if api.Section == nil {
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

func TestInvalidPushConfig(t *testing.T) {
	_, err := LoadFile("testdata/invalid-push.yml", nil)
	if err == nil {
		t.Fatal("config loaded; want an error")
	}
	want := `testdata/invalid-push.yml:4: push.remote_write.url: url "ftp://metrics.invalid/write" must be an http:// or https:// URL with a host
testdata/invalid-push.yml:6: push.remote_write.bearer_token_file: bearer_token and bearer_token_file are mutually exclusive
testdata/invalid-push.yml:6: push.remote_write.bearer_token_file: stat /nonexistent/token: no such file or directory
testdata/invalid-push.yml:7: push.pushgateway.url: missing URL
testdata/invalid-push.yml:8: push.pushgateway.basic_auth.username: missing username
testdata/invalid-push.yml:9: push.interval: invalid duration "-5s" (use a number and a unit: ms, s, m, h, d, w)
testdata/invalid-push.yml:10: push.max_retries: must not be negative, got -1
testdata/invalid-push.yml:12: push.max_backoff: max_backoff 1s is shorter than min_backoff 2s`
	if got := err.Error(); got != want {
		t.Errorf("error:\n%s\nwant:\n%s", got, want)
	}
}

// Push credentials never show in /config.
func TestPushSecretsRedacted(t *testing.T) {
	cfg, err := Parse("push.yml", []byte(`
push:
  remote_write: {url: "http://127.0.0.1:9090/api/v1/write", bearer_token: tok-123, headers: {X-Scope-OrgID: tenant-1, X-Api-Key: key-789}}
  pushgateway: {url: "http://127.0.0.1:9091", basic_auth: {username: u, password: pw-456}}
probes:
  - {name: home, target: "http://127.0.0.1/"}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfg.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "tok-123") || strings.Contains(string(out), "pw-456") || strings.Contains(string(out), "key-789") ||
		!strings.Contains(string(out), "<secret>") || !strings.Contains(string(out), "tenant-1") {
		t.Errorf("redacted config shows a push secret:\n%s", out)
	}
}

// A config label may not take a name the agent's series have: the agent's
// own labels, and every label of the families it exports (from the tables
// of families, so a new kind's labels are reserved with it).
func TestReservedLabels(t *testing.T) {
	reserved := reservedLabels()
	for _, l := range []string{"agent", "location", "probe", "job", "instance", "phase", "reason", "result",
		"step", "vital", "version", "slo", "window", "severity", "le", "plugin", "kind", "quantile", "label",
		"uom", "cipher", "subject", "issuer", "fingerprint_sha256", "subjectalternative"} {
		if !reserved[l] {
			t.Errorf("label %q is not reserved", l)
		}
	}
	if reserved["team"] || reserved["env"] {
		t.Error("ordinary labels are reserved")
	}
}

// Loaded to be checked (check-config, rules), a config whose probes read
// absent values at each run is valid, with a warning for each.
func TestRunTimeValuesWarnWhenChecking(t *testing.T) {
	cfg, err := LoadFileFor(ToCheck, "testdata/invalid-text-env.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"testdata/invalid-text-env.yml:7: warning: probes[0].browser.steps[0].type.text_env: environment variable SLOAGENT_TEST_UNSET_PASSWORD is not set (read at each run)",
		"testdata/invalid-text-env.yml:8: warning: probes[0].browser.steps[1].type.text_file: stat /nonexistent/otp: no such file or directory (read at each run)",
	}
	if got := cfg.Warnings(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Setenv("SLOAGENT_TEST_UNSET_PASSWORD", "x")
	cfg, err = LoadFileFor(ToCheck, "testdata/invalid-text-env.yml", nil)
	if err != nil || len(cfg.Warnings()) != 1 {
		t.Errorf("with the variable set: %v %v", cfg.Warnings(), err)
	}
}

// /config shows the values in effect and leaves out what is unset: no empty
// strings, lists or maps, no zero durations, no null steps' actions.
func TestRedactedShowsEffectiveValues(t *testing.T) {
	cfg, err := LoadFile("../../configs/example.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cfg.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, unset := range []string{`: ""`, ": []", ": {}", ": 0s\n", ": null", ": 0\n"} {
		if strings.Contains(out, unset) {
			t.Errorf("/config shows an unset value (%q):\n%s", unset, out)
		}
	}
	for _, want := range []string{
		"budgeting_method: occurrences", "memory_limit: 1GiB", "start_timeout: 30s",
		"alerting:\n        page:\n            - long_window: 1h\n              short_window: 5m\n              burn_rate: 14.4\n            - long_window: 6h",
		"bearer_token_file: /dev/null",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/config lacks %q:\n%s", want, out)
		}
	}
	for _, absent := range []string{"push:", "timeslice:\n        length: 0s"} {
		if strings.Contains(out, absent) {
			t.Errorf("/config shows %q though it is not configured:\n%s", absent, out)
		}
	}
}

// Checking a config warns of SLO alerts that cannot work; running it does
// not refuse them.
func TestSLOWarnings(t *testing.T) {
	data := []byte(`probes:
  - {name: p, target: "http://127.0.0.1:1/", interval: 1m}
slos:
  - {name: loose, probes: [p], objective: 90}
`)
	cfg, err := ParseFor(ToCheck, "c.yml", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "c.yml:4: warning: slos[0].objective: page alert 1h/5m at burn rate 14.4 can never fire: objective 90% allows burn rates up to 10"
	if got := cfg.Warnings(); len(got) != 1 || got[0] != want {
		t.Errorf("warnings %q, want %q", got, want)
	}
	if _, err := Parse("c.yml", data, nil); err != nil {
		t.Errorf("running it: %v", err)
	}
}

// A config loaded to run keeps no node tree, yet problems found after
// loading still name the file and keep its secrets hidden.
func TestProblemsAfterLoadingToRun(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == "TOKEN" {
			return "s3cr3t-t0ken-value", true
		}
		return "", false
	}
	data := []byte("probes:\n  - name: a\n    target: https://user:${TOKEN}@example.invalid/\n")
	for _, purpose := range []Purpose{ToRun, ToCheck} {
		cfg, err := ParseFor(purpose, "agent.yml", data, env)
		if err != nil {
			t.Fatal(err)
		}
		r := conf.NewReport()
		r.Index("probes", 0).Errorf("target", "refused: %s", "https://user:s3cr3t-t0ken-value@example.invalid/")
		err = cfg.Problems(r)
		if err == nil || !strings.Contains(err.Error(), "agent.yml") || !strings.Contains(err.Error(), "probes[0].target") ||
			strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("purpose %d: %v", purpose, err)
		}
		if purpose == ToRun && cfg.files.docs[0].Root != nil {
			t.Errorf("a config loaded to run keeps its node tree")
		}
	}
}
