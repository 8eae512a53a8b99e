package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sloagent/sloagent/bench/internal/gen"
	"github.com/sloagent/sloagent/bench/internal/lag"
	"github.com/sloagent/sloagent/bench/internal/sched"
)

// counts are a system's cumulative run counts.
type counts struct {
	runs, failures, timeouts, skipped uint64
	lag                               lag.Hist
	noLag                             bool // the system reports no lag
}

func (c counts) sub(o counts) counts {
	return counts{c.runs - o.runs, c.failures - o.failures, c.timeouts - o.timeouts, c.skipped - o.skipped, c.lag.Sub(o.lag), c.noLag}
}

// instance is one running system under test.
type instance interface {
	// pid is the process charged with the probes' cost.
	pid() int
	counts() (counts, error)
	stop()
}

// load is what a system is asked to run: n probes of url every interval.
type load struct {
	n        int
	url      string
	interval time.Duration
	timeout  time.Duration
	record   bool // keep each run's duration (generators only)
	slos     bool // an SLO per probe (sloagent only)
	history  bool // the SLOs start with 30 days of history
	paths    bool // each probe asks for a path of its own: url + its name
}

// system starts one of the compared systems with a load.
type system struct {
	name  string
	start func(b *bench, l load) (instance, error)
}

var (
	sysAgent       = system{"sloagent", (*bench).startAgent}
	sysBlackbox    = system{"blackbox_exporter", (*bench).startBlackbox}
	sysCloudprober = system{"cloudprober", (*bench).startCloudprober}
	sysFloor       = system{"net/http loop", (*bench).startFloor}
)

// systems are the systems compared: cloudprober where it could be built
// and run in a network namespace with only loopback.
func (b *bench) systems() []system {
	if b.cloudprober == "" {
		return []system{sysAgent, sysBlackbox, sysFloor}
	}
	return []system{sysAgent, sysBlackbox, sysCloudprober, sysFloor}
}

var ()

// agentInstance is sloagent running a generated config.
type agentInstance struct {
	*child
	metrics  string
	base     string
	stateDir string
	b        *bench
}

func (b *bench) startAgent(l load) (instance, error) {
	return b.startAgentLoad(l)
}

func (b *bench) startAgentLoad(l load) (*agentInstance, error) {
	// A fresh state directory: SLO history of an earlier run must not
	// be loaded.
	state, err := os.MkdirTemp(b.work, "state-")
	if err != nil {
		return nil, err
	}
	if l.history {
		if err := b.writeHistory(state, l); err != nil {
			return nil, err
		}
	}
	a, err := b.startAgentConfig("sloagent", b.bin("sloagent"), agentConfig(l, state))
	if err != nil {
		return nil, err
	}
	a.stateDir = state
	return a, nil
}

// startAgentConfig starts the sloagent binary bin with config.
func (b *bench) startAgentConfig(name, bin, config string) (*agentInstance, error) {
	c, addr, err := b.startConfigured(name, bin, config, "/-/ready")
	if err != nil {
		return nil, err
	}
	return &agentInstance{child: c, metrics: "http://" + addr + "/metrics", base: "http://" + addr, b: b}, nil
}

// agentConfig is n HTTP probes of l.url with the benchmark's probe names,
// so the generators can follow the same schedule, and with l.slos an SLO
// of each probe (99.9% over a rolling 30 days, with the default alerts).
func agentConfig(l load, stateDir string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "agent:\n  name: bench\n  state_dir: %s\nprobes:\n", stateDir)
	for i := range l.n {
		u := l.url
		if l.paths {
			u += sched.Name(i)
		}
		fmt.Fprintf(&sb, "  - name: %s\n    target: %s\n    interval: %s\n    timeout: %s\n", sched.Name(i), u, l.interval, l.timeout)
	}
	if l.slos {
		sb.WriteString("slos:\n")
		for i := range l.n {
			fmt.Fprintf(&sb, "  - name: %s\n    probes: [%s]\n    objective: 99.9\n    window: {rolling: 30d}\n", sloName(i), sched.Name(i))
		}
	}
	return sb.String()
}

func (a *agentInstance) metricsURL() string { return a.metrics }

func (a *agentInstance) counts() (counts, error) {
	m, err := a.b.scrape(a.metrics)
	if err != nil {
		return counts{}, err
	}
	return m.counts, nil
}

// genInstance is a load generator, alone (the floor) or in front of
// blackbox_exporter.
type genInstance struct {
	gen      *child
	exporter *child // nil for the floor
}

func (g *genInstance) pid() int {
	if g.exporter != nil {
		return g.exporter.pid()
	}
	return g.gen.pid()
}

func (g *genInstance) stop() {
	g.gen.stop()
	if g.exporter != nil {
		g.exporter.stop()
	}
}

func (g *genInstance) stats() (gen.Stats, error) {
	var s gen.Stats
	if _, err := fmt.Fprintln(g.gen.stdin, "stats"); err != nil {
		return s, fmt.Errorf("benchgen: %v", err)
	}
	line, err := g.gen.readLine(30 * time.Second)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal([]byte(line), &s)
}

func (g *genInstance) counts() (counts, error) {
	s, err := g.stats()
	if err != nil {
		return counts{}, err
	}
	return counts{runs: s.Runs, failures: s.Failures, timeouts: s.Timeouts, lag: s.Lag}, nil
}

func (b *bench) startGen(l load, mode, u string) (*child, error) {
	args := []string{b.bin("benchgen"), "-mode", mode, "-url", u, "-n", fmt.Sprint(l.n),
		"-interval", l.interval.String(), "-timeout", l.timeout.String()}
	if l.record {
		args = append(args, "-record")
	}
	return b.start("benchgen-"+mode, args...)
}

func (b *bench) startFloor(l load) (instance, error) {
	c, err := b.startGen(l, "direct", l.url)
	if err != nil {
		return nil, err
	}
	return &genInstance{gen: c}, nil
}

// blackboxConfig has one module like the agent's probes: HTTP GET, 2xx,
// IPv4, the same timeout.
const blackboxConfig = `modules:
  http_2xx:
    prober: http
    timeout: %s
    http:
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
`

func (b *bench) startBlackbox(l load) (instance, error) {
	return b.startExporter("blackbox_exporter", fmt.Sprintf(blackboxConfig, l.timeout), "http_2xx", l.url, l)
}

// startExporter starts blackbox_exporter with config and a generator
// calling its /probe for module and target on the load's schedule.
func (b *bench) startExporter(name, config, module, target string, l load) (instance, error) {
	bb, addr, err := b.startConfigured(name, b.blackbox, config, "/-/healthy")
	if err != nil {
		return nil, err
	}
	probe := "http://" + addr + "/probe?module=" + module + "&target=" + url.QueryEscape(target)
	g, err := b.startGen(l, "blackbox", probe)
	if err != nil {
		bb.stop()
		return nil, err
	}
	return &genInstance{gen: g, exporter: bb}, nil
}
