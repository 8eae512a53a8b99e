package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/agent/push"
	"github.com/sloagent/sloagent/agent/schedule"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/expo"
	"github.com/sloagent/sloagent/plugins"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/browser"
	"github.com/sloagent/sloagent/slo"
)

// onceCmd runs the configured probes (or the named ones) once, prints what
// happened, pushes the results and exits 0 if no run failed (a run skipped
// for want of a browser slot is not a failure of its target), 1 if one
// failed or the push did, 2 on a config or usage error. It is the agent on
// hosts that run it on a schedule and cannot be scraped.
func onceCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("once", stderr)
	var opts Options
	var lf logFlags
	fs.StringVar(&opts.ConfigFile, "config.file", "", "Config whose probes to run (required): a file, a directory or a glob.")
	fs.StringVar(&opts.StateDir, "storage.path", "", "Directory for the counters pushed to a Pushgateway and for failure diagnostics; overrides agent.state_dir of the config.")
	output := fs.String("output", "text", "Summary format: text or json.")
	rwURL := fs.String("push.remote-write-url", "", "Push the results to this Prometheus remote write URL (for example http://prometheus:9090/api/v1/write); replaces the URL of push.remote_write, keeping its auth and headers.")
	pgURL := fs.String("push.pushgateway-url", "", "Push the results to this Pushgateway (for example http://pushgateway:9091); replaces the URL of push.pushgateway, keeping its auth and headers.")
	shard := fs.String("shard", "", "Run only this agent's part i/N (or auto) of the probes, as the daemon's --shard.")
	lf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sloagent once [flags] [PROBE...]")
		fs.PrintDefaults()
	}
	names, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if opts.ConfigFile == "" {
		// The embedded default probes the agent's own web server, which
		// a one-shot run does not start.
		return fail(stderr, "sloagent once", exitUsage, "--config.file is required")
	}
	if *output != "text" && *output != "json" {
		return fail(stderr, "sloagent once", exitUsage, fmt.Sprintf("--output: %q is not text or json", *output))
	}
	opts.Logger, err = lf.logger(stderr)
	if err == nil {
		opts.Shard, err = schedule.ResolveShard(*shard, os.Getenv, os.Hostname)
	}
	if err != nil {
		return fail(stderr, "sloagent once", exitUsage, err)
	}
	a := New(opts)
	cfg, err := a.LoadConfig()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	a.redact.Store(cfg.Redactor())
	cfg = discover(cfg, a.log, opts.Shard.Keeps)
	if err := cfg.Push.ApplyFlags(*rwURL, *pgURL); err != nil {
		return fail(stderr, "sloagent once", exitUsage, err)
	}
	selected, err := selectProbes(cfg, names, opts.Shard)
	if err != nil {
		return fail(stderr, "sloagent once", exitUsage, err)
	}
	cfg.Probes = selected

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run, err := a.runOnce(ctx, cfg)
	if err != nil {
		return fail(stderr, "sloagent once", exitUsage, err)
	}
	if cfg.Push.Enabled() {
		run.pushed = a.pushOnce(ctx, cfg, run)
	}
	// Messages may quote a target's URL or a check's command line.
	var summary strings.Builder
	if *output == "json" {
		err = run.writeJSON(&summary, cfg)
	} else {
		err = run.writeText(&summary)
	}
	if err == nil {
		_, err = io.WriteString(stdout, printable(cfg.Redactor().String(summary.String())))
	}
	if err != nil {
		fmt.Fprintln(stderr, "sloagent once:", err)
	}
	code := exitOK
	if run.failed() > 0 {
		code = exitFailed
	}
	for _, p := range run.pushed {
		if p.err != nil {
			fmt.Fprintln(stderr, "sloagent once:", p.err)
			code = exitFailed
		}
	}
	return code
}

// selectProbes returns the probes named (all when none is), in config
// order. A name that is not configured, or on another shard, is an error.
func selectProbes(cfg *config.Config, names []string, shard schedule.Shard) ([]config.ProbeConfig, error) {
	if len(names) == 0 {
		return cfg.Probes, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []config.ProbeConfig
	for _, p := range cfg.Probes {
		if want[p.Name] {
			out = append(out, p)
			delete(want, p.Name)
		}
	}
	for _, n := range names {
		if want[n] {
			if shard.Sharded() && !shard.Keeps(n) {
				return nil, fmt.Errorf("probe %q is not on shard %s", n, shard)
			}
			return nil, fmt.Errorf("no probe named %q in the config", n)
		}
	}
	return out, nil
}

// onceRun is what one invocation did.
type onceRun struct {
	start, end time.Time
	results    []onceResult // in config order
	states     []*probeState
	slo        *slo.Engine
	pushed     []pushOutcome
	diagDir    string // absolute; Result.Diagnostics are relative to it
}

type onceResult struct {
	probe string
	start time.Time
	res   probes.Result
	// skipped is a run that never started because no browser slot freed
	// in time: not a failure of the target.
	skipped bool
}

type pushOutcome struct {
	target string
	err    error
}

func (r *onceRun) failed() int {
	n := 0
	for _, x := range r.results {
		if !x.res.Success && !x.skipped {
			n++
		}
	}
	return n
}

func (r *onceRun) skipped() int {
	n := 0
	for _, x := range r.results {
		if x.skipped {
			n++
		}
	}
	return n
}

// diagnostics are the absolute paths of a failed run's diagnostics files.
func (r *onceRun) diagnostics(x onceResult) []string {
	if x.res.Success || x.skipped {
		return nil
	}
	var out []string
	for _, d := range x.res.Diagnostics {
		out = append(out, filepath.Join(r.diagDir, d))
	}
	return out
}

// runOnce builds the probes and runs each once, at most
// max_concurrent_runs at a time, each within its timeout. An error means a
// probe could not be built: a config problem, not a failed run.
func (a *Agent) runOnce(ctx context.Context, cfg *config.Config) (*onceRun, error) {
	sizeBrowserQueue(cfg)
	br, _ := a.browserFor(cfg)
	if br != nil {
		defer br.Close()
	}
	var sup *plugins.Supervisor
	if len(cfg.Plugins) > 0 {
		sup = newSupervisor(cfg, a)
		defer sup.Close()
	}
	probers := make(map[string]probes.Prober, len(cfg.Probes))
	defer closeAll(probers)
	shared := map[string]any{browser.Kind.Name: br, plugins.Kind.Name: sup}
	if err := build(cfg, shared, func(string) bool { return true }, probers); err != nil {
		return nil, err
	}
	eng, err := slo.NewEngine(cfg.SLOs, nil, a.now, a.log)
	if err != nil {
		return nil, fmt.Errorf("slos: %w", err)
	}
	run := &onceRun{start: a.now(), results: make([]onceResult, len(cfg.Probes)), slo: eng}
	if run.diagDir, err = filepath.Abs(diagnosticsDir(cfg)); err != nil {
		run.diagDir = diagnosticsDir(cfg)
	}
	runner := schedule.NewRunner(cfg.Agent.MaxConcurrentRuns, nil, a.log)
	layouts := expo.NewLayouts()
	var wg sync.WaitGroup
	for i := range cfg.Probes {
		p := &cfg.Probes[i]
		st := newProbeState(p.Name)
		st.cfg = p
		run.states = append(run.states, st)
		wg.Go(func() {
			o := runner.Do(ctx, schedule.Run{Probe: p.Name, Kind: p.Kind, Prober: probers[p.Name], Timeout: p.Timeout.D(),
				Log: a.log.With("probe", p.Name),
				Skip: func(why error) {
					if errors.Is(why, probes.ErrNoSlot) {
						st.skip()
					}
				},
				Record: func(o schedule.Outcome) {
					st.record(o.Result, o.Start, layouts, false)
					eng.Observe(slo.Event{Probe: p.Name, Labels: p.Labels, Time: o.Start, Success: o.Success, Duration: o.Duration, Reason: o.Reason})
				}})
			noSlot := errors.Is(o.Skipped, probes.ErrNoSlot)
			switch {
			case noSlot:
				o.Result, o.Start = probes.Result{Message: o.Skipped.Error()}, a.now()
			case o.Skipped != nil:
				o.Result, o.Start = probes.Fail(probes.ReasonInternal, o.Skipped.Error()), a.now()
			}
			run.results[i] = onceResult{probe: p.Name, start: o.Start, res: o.Result, skipped: noSlot}
		})
	}
	wg.Wait()
	run.end = a.now()
	return run, nil
}

// onceSlotMargin is what a browser run may hold its slot beyond its
// timeout: the runner's grace for a prober that overruns, and closing the
// run's tab.
const onceSlotMargin = 5 * time.Second

// sizeBrowserQueue lets every browser run of a one-shot invocation wait
// for a slot as long as the browser's start and the runs queued ahead of
// it may take. They all queue at once, so with max_queue_wait alone the
// last ones would be skipped although nothing was wrong with their
// targets; the wait is not part of a run's timeout, so each journey still
// gets all of it.
func sizeBrowserQueue(cfg *config.Config) {
	bound := cfg.Browser.StartTimeout.D()
	if bound <= 0 {
		bound = browser.DefaultStartTimeout
	}
	n := 0
	for _, p := range cfg.Probes {
		if p.Kind == browser.Kind.Name {
			bound += p.Timeout.D() + onceSlotMargin
			n++
		}
	}
	current := cfg.Browser.MaxQueueWait.D()
	if current <= 0 {
		current = browser.DefaultMaxQueueWait
	}
	if n > 1 && bound > current {
		cfg.Browser.MaxQueueWait = conf.Duration(bound)
	}
}

// families are the metrics a one-shot run pushes: the probes' series, the
// SLOs' raw counters and the objective (the window gauges of a single run
// would mislead), and the build and shard info.
func (a *Agent) onceFamilies(cfg *config.Config, run *onceRun) ([]*dto.MetricFamily, error) {
	reg := prometheus.NewRegistry()
	wrapped := prometheus.WrapRegistererWith(agentLabels(cfg), reg)
	cs := []prometheus.Collector{newProbeCollector(run.states, nil), run.slo.Collector(), a.self.buildInfo}
	if a.opts.Shard.Sharded() {
		cs = append(cs, a.opts.Shard.Collector())
	}
	for _, c := range cs {
		if err := wrapped.Register(c); err != nil {
			return nil, fmt.Errorf("registering metrics: %w", err)
		}
	}
	mfs, err := reg.Gather()
	keep := mfs[:0]
	for _, mf := range mfs {
		switch n := mf.GetName(); {
		case n == slo.MetricEvents, n == slo.MetricGoodEvents, n == "slo_objective_ratio":
		case strings.HasPrefix(n, "slo_"):
			continue
		}
		keep = append(keep, mf)
	}
	return keep, err
}

// pushOnce pushes the run to every configured target.
//
// Remote write gets the run's own counters, each starting at zero at the
// start of the run: to Prometheus every run is a counter reset followed by
// the run's count, which increase() adds up exactly across runs and agents
// at any cadence, with no state between runs.
//
// A Pushgateway keeps only the last push, and Prometheus scrapes it at its
// own pace, so it gets counters made cumulative across runs from the state
// dir (see push.Accumulate), as a daemon's would be.
func (a *Agent) pushOnce(ctx context.Context, cfg *config.Config, run *onceRun) []pushOutcome {
	p, err := push.New(cfg.Push, cfg.Agent.Name, a.log)
	if err != nil {
		return []pushOutcome{{"push", err}}
	}
	targets := p.Targets()
	out := make([]pushOutcome, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		mfs, err := a.onceFamilies(cfg, run)
		if err != nil {
			out[i] = pushOutcome{t, err}
			continue
		}
		b := push.Batch{Families: mfs, At: a.now(), Start: run.start, Fresh: map[string]bool{}}
		if t == "remote_write" {
			push.WalkCounters(mfs, func(key string, _ *float64) { b.Fresh[key] = true })
		} else if _, err := push.Accumulate(cfg.Agent.StateDir, mfs); err != nil {
			a.log.Warn("the Pushgateway gets this run's counters only: they do not add up across runs without a writable state dir",
				"state_dir", cfg.Agent.StateDir, "err", err)
		}
		wg.Go(func() { out[i] = pushOutcome{t, p.PushTo(ctx, t, b)} })
	}
	wg.Wait()
	return out
}
