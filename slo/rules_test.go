package slo

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"gopkg.in/yaml.v3"
)

var ruleSLOs = []Config{
	{Name: "checkout", Probes: []string{"p"}, Objective: 99.9, RunbookURL: "https://runbooks.example.com/checkout"},
	{Name: "api.eu", ProbeSelector: map[string]string{"team": "api"}, Objective: 99, BudgetingMethod: Timeslices,
		Timeslice: TimesliceConfig{Length: dur(time.Minute), GoodThreshold: 0.98}},
	{Name: "weekly", Probes: []string{"p"}, Objective: 95, Window: WindowConfig{Calendar: Week, TimeZone: "Europe/Berlin"},
		Labels: map[string]string{"team": "web"}, Alerting: AlertingConfig{For: SeverityDurations{Page: dur(2 * time.Minute), Ticket: dur(time.Hour)}}},
	{Name: "custom", Probes: []string{"p"}, Objective: 90, Window: WindowConfig{Rolling: dur(28 * 24 * time.Hour)},
		Alerting: AlertingConfig{Page: []BurnRateAlert{{LongWindow: dur(2 * time.Hour), ShortWindow: dur(10 * time.Minute), BurnRate: 10}}}},
}

func writeRules(t *testing.T, dir string, groupLabels ...string) string {
	t.Helper()
	b, err := Rules(ruleSLOs, groupLabels...)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRulesPassPromtool(t *testing.T) {
	t.Parallel()
	promtool := testutil.LookPath(t, "promtool", "prometheus")
	for _, labels := range [][]string{nil, {"region", "env"}} {
		path := writeRules(t, t.TempDir(), labels...)
		out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
		if err != nil {
			t.Errorf("promtool check rules (group labels %v): %v\n%s", labels, err, out)
		}
	}
}

// The alerts in the rules use the engine's windows and factors.
func TestRulesMatchEngineAlerts(t *testing.T) {
	b, err := Rules(ruleSLOs)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Groups) != len(ruleSLOs) {
		t.Fatalf("%d groups for %d SLOs", len(f.Groups), len(ruleSLOs))
	}
	for i, c := range ruleSLOs {
		g := f.Groups[i]
		sp, _ := newSpan(c.Window)
		alerts := alertWindows(c.Alerting, sp)
		found := 0
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			found++
			sev := r.Labels["severity"]
			for _, a := range alerts[sev] {
				long := fmtDur(a.LongWindow.D())
				want := fmt.Sprintf("(slo:burn_rate:ratio_rate%s{slo=%q} > %s and slo:burn_rate:ratio_rate%s{slo=%q} > %s and slo:events:increase%s{slo=%q} >= %d)",
					long, c.Name, num(a.BurnRate), fmtDur(a.ShortWindow.D()), c.Name, num(a.BurnRate), long, c.Name, c.Alerting.minEvents(a))
				if !strings.Contains(r.Expr, want) {
					t.Errorf("%s %s alert lacks %s:\n%s", c.Name, sev, want, r.Expr)
				}
			}
			var hold string
			if d := c.Alerting.For.of(sev); d > 0 {
				hold = fmtDur(d)
			}
			if r.For != hold {
				t.Errorf("%s %s alert: for %q, want %q", c.Name, sev, r.For, hold)
			}
			for k, v := range c.Labels {
				if r.Labels[k] != v {
					t.Errorf("%s %s alert: label %s=%q, want %q", c.Name, sev, k, r.Labels[k], v)
				}
			}
			if r.Annotations["runbook_url"] != c.RunbookURL {
				t.Errorf("%s: runbook_url %q, want %q", c.Name, r.Annotations["runbook_url"], c.RunbookURL)
			}
		}
		if found != 2 {
			t.Errorf("%s: %d alerts, want page and ticket", c.Name, found)
		}
		if c.BudgetingMethod == Timeslices && g.Interval != fmtDur(c.sliceLength()) {
			t.Errorf("%s: timeslice group evaluated every %q", c.Name, g.Interval)
		}
	}
	if _, err := Rules(ruleSLOs, "slo"); err == nil {
		t.Error("slo accepted as a group label")
	}
	if _, err := Rules([]Config{{Name: "x"}}); err == nil {
		t.Error("an invalid SLO gave rules")
	}
}

// Two agents' counters, summed by the rules, give the burn rates the
// engine computes from the same runs, and the same alerts fire. The
// rules are evaluated by promtool's rule unit tests.
func TestRulesAggregateAgents(t *testing.T) {
	t.Parallel()
	promtool := testutil.LookPath(t, "promtool", "prometheus")
	dir := t.TempDir()
	writeRules(t, dir)

	// Agent a: 60 good runs a minute. Agent b: 60 runs, 3 bad. For two
	// hours, then the engine sees the same runs as one.
	c := newClock(t0)
	e := mustEngine(t, ruleSLOs, nil, c)
	for m := 0; m < 120; m++ {
		start := t0.Add(time.Duration(m) * time.Minute)
		c.Set(start.Add(59 * time.Second))
		observeMinute(e, "p", start, 60, 0)
		observeMinute(e, "p", start, 60, 3)
		observeMinute(e, "api", start, 60, 0) // the api probe is not selected
	}
	for m := 0; m < 120; m++ {
		start := t0.Add(time.Duration(m) * time.Minute)
		for _, ev := range []Event{{Success: true}, {Success: true}, {Success: false}} {
			ev.Probe, ev.Labels, ev.Time = "api", map[string]string{"team": "api"}, start.Add(30*time.Second)
			e.Observe(ev)
		}
	}
	// Read at 2h, where Prometheus evaluates: the windows hold whole
	// minutes then, and the runs of a minute the window covers only in
	// part are not rounded.
	c.Set(t0.Add(120 * time.Minute))
	st := map[string]Status{}
	for _, s := range e.Status() {
		st[s.Name] = s
	}
	burn := func(slo, w string) string { return fmt.Sprintf("%g", window(t, st[slo], w).BurnRate) }

	series := func(name, slo, instance, values string) string {
		return fmt.Sprintf("      - series: '%s{slo=%q,instance=%q}'\n        values: '%s'\n", name, slo, instance, values)
	}
	var in strings.Builder
	for _, slo := range []string{"checkout", "weekly", "custom"} {
		in.WriteString(series(MetricEvents, slo, "a", "0+60x120"))
		in.WriteString(series(MetricGoodEvents, slo, "a", "0+60x120"))
		in.WriteString(series(MetricEvents, slo, "b", "0+60x120"))
		in.WriteString(series(MetricGoodEvents, slo, "b", "0+57x120"))
	}
	in.WriteString(series(MetricEvents, "api.eu", "a", "0+3x120"))
	in.WriteString(series(MetricGoodEvents, "api.eu", "a", "0+2x120"))

	sample := func(rule, slo, value string) string {
		return fmt.Sprintf("      - expr: %s{slo=%q}\n        eval_time: 2h\n        exp_samples:\n          - labels: '%s{slo=%q}'\n            value: %s\n",
			rule, slo, rule, slo, value)
	}
	var exprs strings.Builder
	for _, w := range []string{"5m", "1h", "6h", "1d"} {
		exprs.WriteString(sample(ruleBurn+w, "checkout", burn("checkout", w)))
		exprs.WriteString(sample(ruleBurn+w, "api.eu", burn("api.eu", w)))
	}
	exprs.WriteString(sample(ruleBurn+"2h", "custom", burn("custom", "2h")))
	exprs.WriteString(sample(ruleRemaining, "checkout", fmt.Sprintf("%g", st["checkout"].BudgetRemaining)))
	exprs.WriteString(sample(ruleObjective, "checkout", "0.999"))

	// Burn 25 fires checkout's page and ticket alerts, every slice of
	// api.eu is bad (burn 100); the weekly SLO at 95% burns 0.5 and the
	// custom one at 90% 0.25: they stay quiet.
	for _, sev := range []string{"page", "ticket"} {
		if !firing(st["checkout"], sev) || !firing(st["api.eu"], sev) || firing(st["weekly"], sev) || firing(st["custom"], sev) {
			t.Fatalf("engine: %s firing: checkout %v, api.eu %v, weekly %v, custom %v", sev,
				firing(st["checkout"], sev), firing(st["api.eu"], sev), firing(st["weekly"], sev), firing(st["custom"], sev))
		}
	}
	alert := func(slo, sev, burn, objective, runbook string) string {
		desc := fmt.Sprintf("SLO %s spends its error budget %s times as fast as its window allows (objective %s%%, window rolling 30d).", slo, burn, objective)
		a := fmt.Sprintf("          - exp_labels: {severity: %s, slo: %s}\n            exp_annotations:\n              summary: SLO %s is spending its error budget too fast\n              description: %q\n", sev, slo, slo, desc)
		if runbook != "" {
			a += "              runbook_url: " + runbook + "\n"
		}
		return a
	}
	var alerts strings.Builder
	for _, sev := range []string{"page", "ticket"} {
		alerts.WriteString(alert("checkout", sev, "25", "99.9", "https://runbooks.example.com/checkout"))
		alerts.WriteString(alert("api.eu", sev, "100", "99", ""))
	}
	test := "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n" + in.String() +
		"    promql_expr_test:\n" + exprs.String() +
		"    alert_rule_test:\n      - eval_time: 2h\n        alertname: " + alertName + "\n        exp_alerts:\n" + alerts.String()
	path := filepath.Join(dir, "test.yml")
	if err := os.WriteFile(path, []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool test rules: %v\n%s\n%s", err, out, test)
	}
}
