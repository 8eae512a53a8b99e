package agent

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/agent/schedule"
)

// A daemon that nothing scrapes pushes on its interval through remote
// write, and Prometheus has its series, fresh ones with every push.
func TestDaemonPushesToPrometheus(t *testing.T) {
	t.Parallel()
	ok, _ := targets(t)
	prom := startPrometheus(t, "global: {evaluation_interval: 1s}\n", "--web.enable-remote-write-receiver")
	cfg := writeConfig(t, t.TempDir(), "daemon.yml", fmt.Sprintf(`
agent: {name: pusher, location: edge}
push:
  interval: 300ms
  remote_write: {url: %s/api/v1/write}
probes:
  - {name: up, target: %s, interval: 200ms, timeout: 150ms}
`, prom.URL, ok.URL))
	d := startBinary(t, "--config.file="+cfg)
	var first float64
	waitFor(t, "the daemon's pushed runs in Prometheus", func() bool {
		r := prom.Query(t, `probe_runs_total{job="sloagent",instance="pusher",agent="pusher",location="edge",probe="up"}`)
		if len(r) == 1 {
			first = r[0].Value
		}
		return len(r) == 1
	})
	waitFor(t, "a later push with more runs", func() bool {
		r := prom.Query(t, `probe_runs_total{instance="pusher",probe="up"}`)
		return len(r) == 1 && r[0].Value >= first+3
	})
	if r := prom.Query(t, `probe_success{instance="pusher",probe="up"}`); len(r) != 1 || r[0].Value != 1 {
		t.Errorf("probe_success pushed: %v", r)
	}
	if v, _ := scrapeValue(t, d.addr, `sloagent_push_failures_total{agent="pusher",location="edge",target="remote_write"}`); v != 0 {
		t.Errorf("%v failed pushes to a working Prometheus:\n%s", v, d.logs.String())
	}
}

// Three agents share nine probes with --shard=0/3, 1/3 and 2/3; one real
// Prometheus scrapes them all and evaluates the rules of `sloagent rules`.
// Every probe runs on exactly one agent, the one its hash names, and the
// fleet's SLO error ratio is the truth.
func TestFleetOfShardedAgents(t *testing.T) {
	t.Parallel()
	ok, broken := targets(t)
	const n, perShard = 3, 3
	// Probe names picked so that each shard gets three probes, one of
	// which fails. Each agent then fails a third of its runs whatever
	// its uptime, and so does the fleet: the true error ratio is 1/3.
	shards := make([][]string, n)
	for i := 0; len(shards[0])+len(shards[1])+len(shards[2]) < n*perShard; i++ {
		name := fmt.Sprintf("svc-%d", i)
		for s := range n {
			if (schedule.Shard{Index: s, Count: n}).Keeps(name) && len(shards[s]) < perShard {
				shards[s] = append(shards[s], name)
			}
		}
	}
	var probes, all []string
	owner := map[string]int{}
	for s, names := range shards {
		for j, name := range names {
			target := ok.URL
			if j == 0 {
				target = broken.URL
			}
			probes = append(probes, fmt.Sprintf("  - {name: %s, target: %s, interval: 200ms, timeout: 150ms}", name, target))
			all = append(all, name)
			owner[name] = s
		}
	}
	// One probe list and SLO for all; only the agents' names differ.
	dir := t.TempDir()
	shared := fmt.Sprintf(`
probes:
%s
slos:
  - {name: fleet, probes: [%s], objective: 90}
`, strings.Join(probes, "\n"), strings.Join(all, ", "))
	rules := sloRulesFile(t, dir, writeConfig(t, dir, "fleet.yml", "agent: {name: rules}\n"+shared))

	agents := make([]*process, n)
	var targetList []string
	for s := range n {
		cfg := writeConfig(t, dir, fmt.Sprintf("agent-%d.yml", s), fmt.Sprintf("agent: {name: agent-%d, location: lab}\n", s)+shared)
		agents[s] = startBinary(t, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, fmt.Sprint("state", s)), fmt.Sprintf("--shard=%d/%d", s, n))
		targetList = append(targetList, fmt.Sprintf("%q", agents[s].addr))
	}
	prom := startPrometheus(t, fmt.Sprintf(`
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: sloagent
    static_configs: [{targets: [%s]}]
`, rules, strings.Join(targetList, ", ")))

	waitFor(t, "all nine probes in Prometheus", func() bool {
		return len(prom.Query(t, `probe_runs_total{job="sloagent"}`)) == n*perShard
	})
	for _, s := range prom.Query(t, `probe_runs_total{job="sloagent"}`) {
		probe, agent := s.Labels["probe"], s.Labels["agent"]
		if want := fmt.Sprintf("agent-%d", owner[probe]); agent != want {
			t.Errorf("probe %s runs on %s, want %s (its shard)", probe, agent, want)
		}
	}
	for _, s := range prom.Query(t, `count by (probe) (probe_runs_total{job="sloagent"})`) {
		if s.Value != 1 {
			t.Errorf("probe %s runs on %v agents", s.Labels["probe"], s.Value)
		}
	}
	for s := range n {
		want := fmt.Sprintf(`sloagent_shard_info{agent="agent-%d",location="lab",shard="%d",shards="%d"}`, s, s, n)
		if v, found := scrapeValue(t, agents[s].addr, want); !found || v != 1 {
			t.Errorf("agent %d does not export %s", s, want)
		}
	}

	// Let every agent contribute a few scrapes before reading the ratio.
	waitFor(t, "the fleet's error ratio over several scrapes", func() bool {
		r := prom.Query(t, `count_over_time(slo_events_total[5m])`)
		if len(r) != n {
			return false
		}
		for _, s := range r {
			if s.Value < 4 {
				return false
			}
		}
		return len(prom.Query(t, `slo:sli_error:ratio_rate5m{slo="fleet"}`)) == 1
	})
	ratio, burn := ruleEvaluation(t, prom, "fleet")
	t.Logf("fleet error ratio from Prometheus: %v (truth 1/3)", ratio)
	// Within an agent, probes at the same interval differ by at most a
	// run or two at any scrape, out of 15 or more each: allow 0.05.
	if want := 1.0 / 3; math.Abs(ratio-want) > 0.05 {
		t.Errorf("fleet error ratio %v, want %v ± 0.05", ratio, want)
	}
	if math.Abs(burn-ratio/0.1) > 1e-6 {
		t.Errorf("burn rate %v, want error ratio / (1 - 0.9) = %v", burn, ratio/0.1)
	}
}
