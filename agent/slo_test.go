package agent

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

func TestSLOsThroughTheAgent(t *testing.T) {
	ok, broken := targets(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
	}))
	defer slow.Close()
	ta := startAgent(t, fmt.Sprintf(`
probes:
  - {name: up, target: %s, interval: 100ms, timeout: 90ms, labels: {tier: front}}
  - {name: down, target: %s, interval: 100ms, timeout: 90ms, labels: {tier: front}}
  - {name: slow, target: %s, interval: 300ms, timeout: 250ms}
slos:
  - name: front
    description: The storefront answers.
    probe_selector: {tier: front}
    objective: 90
    window: {rolling: 1d}
    runbook_url: https://runbooks.example.com/front
  - name: fast
    probes: [slow]
    objective: 99
    latency_threshold: 10ms
`, ok.URL, broken.URL, slow.URL))
	waitFor(t, "SLO events", func() bool {
		v, _ := ta.value(t, "slo_window_events", map[string]string{"slo": "front", "window": "5m"})
		f, _ := ta.value(t, "slo_window_events", map[string]string{"slo": "fast", "window": "5m"})
		return v >= 10 && f >= 3
	})
	sli, _ := ta.value(t, "slo_sli_ratio", map[string]string{"slo": "front", "window": "5m"})
	if math.Abs(sli-0.5) > 0.2 {
		t.Errorf("front SLI %v, want about 0.5: one of its two probes fails", sli)
	}
	// Successful but slower than the threshold: every run is bad.
	if v, _ := ta.value(t, "slo_sli_ratio", map[string]string{"slo": "fast", "window": "5m"}); v != 0 {
		t.Errorf("fast SLI %v, want 0: every run is over the latency threshold", v)
	}
	if v, _ := ta.value(t, "probe_success", map[string]string{"probe": "slow"}); v != 1 {
		t.Errorf("slow probe itself should succeed, probe_success = %v", v)
	}
	_, page := get(t, ta.web.URL+"/")
	for _, want := range []string{"front", "The storefront answers.", "https://runbooks.example.com/front", "<svg", `<p class="budget-text">`, `<span class="slow">slow</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
}

// scrapeValue reads one series from an agent's /metrics text.
func scrapeValue(t *testing.T, addr, series string) (float64, bool) {
	t.Helper()
	_, body := get(t, "http://"+addr+"/metrics")
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, series+" ") {
			v, err := strconv.ParseFloat(strings.TrimPrefix(line, series+" "), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// After SIGKILL at most one flush interval of SLO events is lost; the rest
// is there when the agent starts again.
func TestSLOStateSurvivesSIGKILL(t *testing.T) {
	ok, broken := targets(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "sloagent.yml")
	config := func(interval string) string {
		return fmt.Sprintf(`
agent: {name: crash, state_flush_interval: 1s}
probes:
  - {name: up, target: %s, interval: %s, timeout: 50ms}
  - {name: down, target: %s, interval: %s, timeout: 50ms}
slos:
  - {name: web, probes: [up, down], objective: 90, window: {rolling: 1d}}
`, ok.URL, interval, broken.URL, interval)
	}
	if err := os.WriteFile(cfgFile, []byte(config("100ms")), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	first := startBinary(t, "--config.file="+cfgFile, "--storage.path="+state)
	const events = `slo_window_events{agent="crash",slo="web",window="slo"}`
	waitFor(t, "events to be counted and flushed a few times", func() bool {
		v, _ := scrapeValue(t, first.addr, events)
		return v >= 40
	})
	atKill, _ := scrapeValue(t, first.addr, events)
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	// The same SLO, with probes that will not run again for an hour.
	if err := os.WriteFile(cfgFile, []byte(config("1h")), 0o600); err != nil {
		t.Fatal(err)
	}
	second := startBinary(t, "--config.file="+cfgFile, "--storage.path="+state)
	after, found := scrapeValue(t, second.addr, events)
	if !found {
		t.Fatal("no SLO events after restart")
	}
	// Two probes at 10 runs/s each: one 1 s flush interval is about 20
	// events; allow for a slow flush under load.
	if after > atKill || after < atKill-60 {
		t.Errorf("events after restart %v; at kill %v: more than a flush interval lost, or invented", after, atKill)
	}
	sli, _ := scrapeValue(t, second.addr, `slo_sli_ratio{agent="crash",slo="web",window="slo"}`)
	if math.Abs(sli-0.5) > 0.1 {
		t.Errorf("SLI after restart %v, want about 0.5 (one of two probes fails)", sli)
	}
	budget, _ := scrapeValue(t, second.addr, `slo_error_budget_remaining_ratio{agent="crash",slo="web"}`)
	if want := 1 - (1-sli)/0.1; math.Abs(budget-want) > 1e-9 {
		t.Errorf("budget remaining %v, want 1 - (1-SLI)/(1-objective) = %v", budget, want)
	}
}

// Two agents scraped by a real Prometheus that evaluates the rules from
// `sloagent rules`: the fleet-wide error ratio and burn rate Prometheus
// computes match what the two agents' own counts imply.
func TestGeneratedRulesAggregateAgents(t *testing.T) {
	ok, broken := targets(t)
	dir := t.TempDir()
	write := func(name, target string) string {
		f := filepath.Join(dir, name+".yml")
		cfg := fmt.Sprintf(`
agent: {name: %s}
probes:
  - {name: web, target: %s, interval: 200ms, timeout: 150ms}
slos:
  - {name: web, probes: [web], objective: 90, window: {rolling: 30d}, runbook_url: "https://runbooks.example.com/web"}
`, name, target)
		if err := os.WriteFile(f, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	a := startBinary(t, "--config.file="+write("a", ok.URL))
	b := startBinary(t, "--config.file="+write("b", broken.URL))

	rules, err := exec.Command(testutil.AgentBinary(t), "rules", "--config.file="+filepath.Join(dir, "a.yml")).Output()
	if err != nil {
		t.Fatal(err)
	}
	rulesFile := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rulesFile, rules, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(testutil.LookPath(t, "promtool", "prometheus"), "check", "rules", rulesFile).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	if !strings.Contains(string(rules), "https://runbooks.example.com/web") {
		t.Error("rules lack the runbook URL")
	}
	prom := startPrometheus(t, fmt.Sprintf(`
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: sloagent
    static_configs: [{targets: ["%s", "%s"]}]
`, rulesFile, a.addr, b.addr))

	// Extrapolation in increase() settles after a few scrapes of each.
	waitFor(t, "a few scrapes of each agent and the fleet error ratio", func() bool {
		r := prom.Query(t, `count_over_time(slo_events_total{slo="web"}[5m])`)
		if len(r) != 2 || r[0].Value < 4 || r[1].Value < 4 {
			return false
		}
		ratio := prom.Query(t, `slo:sli_error:ratio_rate5m{slo="web"}`)
		return len(ratio) == 1 && !math.IsNaN(ratio[0].Value)
	})
	promRatio, burn := ruleEvaluation(t, prom, "web")

	// What the agents' own counts say. Both run their probe at the same
	// rate, so the fleet's error ratio is the mean of theirs, however
	// long each has run: their counts since start are not what
	// Prometheus sees (it counts from its first scrape of each, and the
	// agents start a moment apart), their ratios are. One always fails:
	// about 0.5. Prometheus's increase() extrapolates and samples at
	// scrape times, so allow a tolerance of 0.1 absolute on the ratio.
	var agentRatio float64
	for name, p := range map[string]*process{"a": a, "b": b} {
		sli, found := scrapeValue(t, p.addr, fmt.Sprintf(`slo_sli_ratio{agent="%s",slo="web",window="5m"}`, name))
		if !found {
			t.Fatalf("agent %s has no 5m SLI", name)
		}
		agentRatio += (1 - sli) / 2
	}
	if math.Abs(promRatio-agentRatio) > 0.1 {
		t.Errorf("Prometheus error ratio %v, agents' %v", promRatio, agentRatio)
	}
	if math.Abs(burn-promRatio/0.1) > 1e-6 {
		t.Errorf("burn rate %v, want error ratio / (1 - 0.9) = %v", burn, promRatio/0.1)
	}
}

// ruleEvaluation returns an SLO's 5m error ratio and burn rate as
// Prometheus recorded them in one evaluation of the rules' group: two
// queries a moment apart can straddle an evaluation and see a ratio and a
// burn rate of different data. One query sees one state of the database,
// and the samples' timestamps say whether both come from one evaluation
// (the group may be between its two rules).
func ruleEvaluation(t *testing.T, prom *testutil.Prometheus, slo string) (ratio, burn float64) {
	t.Helper()
	r := fmt.Sprintf(`slo:sli_error:ratio_rate5m{slo=%q}`, slo)
	b := fmt.Sprintf(`slo:burn_rate:ratio_rate5m{slo=%q}`, slo)
	tag := func(q, as string) string { return fmt.Sprintf(`label_replace(%s, "q", %q, "", "")`, q, as) }
	q := strings.Join([]string{tag(r, "ratio"), tag(b, "burn"), tag("timestamp("+r+")", "ratio_at"), tag("timestamp("+b+")", "burn_at")}, " or ")
	waitFor(t, "one evaluation of the ratio and the burn rate", func() bool {
		got := map[string]float64{}
		for _, s := range prom.Query(t, q) {
			got[s.Labels["q"]] = s.Value
		}
		if len(got) != 4 || got["ratio_at"] != got["burn_at"] {
			return false
		}
		ratio, burn = got["ratio"], got["burn"]
		return true
	})
	return ratio, burn
}
