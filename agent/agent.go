// Package agent is the sloagent daemon: command line, config loading and
// reload, the probes' state, and the HTTP server that exports their results
// as Prometheus metrics, a status page and debug runs. The config is in
// agent/config, scheduling and the one run path in agent/schedule, pushing
// in agent/push.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unique"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/agent/discovery"
	"github.com/sloagent/sloagent/agent/push"
	"github.com/sloagent/sloagent/agent/schedule"
	"github.com/sloagent/sloagent/configs"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/expo"
	"github.com/sloagent/sloagent/internal/times"
	"github.com/sloagent/sloagent/plugins"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/browser"
	"github.com/sloagent/sloagent/slo"
)

// Options are what the command line decides.
type Options struct {
	// ConfigFile is the config to run; empty runs the embedded default.
	ConfigFile string
	// ListenAddress is where the HTTP server listens.
	ListenAddress string
	// WebConfigFile configures TLS and basic auth (exporter-toolkit).
	WebConfigFile string
	// StateDir, when set, overrides the config's agent.state_dir.
	StateDir string
	// ExternalURL is the agent's URL as people reach it, for the links
	// in notifications; empty: its listen address.
	ExternalURL string
	// MaxConnections bounds the web server's open connections (see
	// webConnLimit); 0 means DefaultMaxConnections.
	MaxConnections int
	// EnableLifecycle serves POST /-/reload; SIGHUP reloads either way.
	EnableLifecycle bool
	// Shard keeps only this agent's part of the probe list.
	Shard  schedule.Shard
	Logger *slog.Logger
}

// Agent runs probes from a config and serves their results.
type Agent struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time

	self   *selfMetrics
	runner *schedule.Runner
	// scrapeBudget, when set before Handler, replaces the const of that
	// name.
	scrapeBudget int64

	reloadMu  sync.Mutex // one reload applied at a time
	reloadSeq atomic.Uint64
	applied   uint64      // the seq of the reload last applied; under reloadMu
	closing   atomic.Bool // Shutdown has begun: reloads are refused
	mu        sync.RWMutex
	cfg       *config.Config
	states    map[string]*probeState
	probers   map[string]probes.Prober
	layouts   *expo.Layouts // of this config generation's samples
	schedStop context.CancelFunc
	schedDone chan struct{}

	started time.Time

	// base is the running config as loaded, without the probes of
	// discovered targets; under reloadMu, as are targetErrs, the
	// targets last left out.
	base       *config.Config
	targetErrs []string
	disc       *discovery.Manager // nil until a config has discovery
	discOnce   sync.Once
	discMade   atomic.Bool // disc is set, for readers without reloadMu
	discStop   context.CancelFunc

	browser     *browser.Browser // nil while no probe needs it
	browserOpts browser.Options
	plugins     *plugins.Supervisor // nil until a config declares plugins

	slo       *slo.Engine // nil until the first config is applied
	sloStore  *slo.Store
	flushStop context.CancelFunc
	flushDone chan struct{}
	oncall    *oncall // with slo: alerts, incidents, notifications

	// redact is the running config's redactor, which the agent's log and
	// every page take the config's secrets out with.
	redact atomic.Pointer[conf.Redactor]

	gatherer atomic.Pointer[prometheus.Registry]
	expo     atomic.Pointer[expo.Exposition] // what /metrics serves
	ready    atomic.Bool
	webAddr  atomic.Value // string: host:port this agent is reachable at
}

// New returns an agent that has loaded nothing yet.
func New(opts Options) *Agent {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Agent{
		opts:    opts,
		now:     time.Now,
		self:    newSelfMetrics(),
		states:  map[string]*probeState{},
		layouts: expo.NewLayouts(),
		started: time.Now(),
	}
	a.log = slog.New(conf.Handler(opts.Logger.Handler(), a.redact.Load))
	a.runner = schedule.NewRunner(config.DefaultMaxConcurrentRuns, &a.self.run, a.log)
	a.webAddr.Store(reachable(opts.ListenAddress))
	return a
}

// reachable turns a listen address into one the agent can dial itself:
// ":9470" and "0.0.0.0:9470" become "127.0.0.1:9470".
func reachable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// env resolves ${VAR} in configs: the agent's own address first, then the
// process environment.
func (a *Agent) env(name string) (string, bool) {
	if name == config.WebAddressVar {
		return a.webAddr.Load().(string), true
	}
	return os.LookupEnv(name)
}

// LoadConfig reads the configured file, or the embedded default.
func (a *Agent) LoadConfig() (*config.Config, error) {
	cfg, _, err := a.loadConfig()
	return cfg, err
}

// loadConfig also returns how many probes and templates the file has, this
// agent's shard or not.
func (a *Agent) loadConfig() (cfg *config.Config, inFile int, err error) {
	if a.opts.ConfigFile == "" {
		cfg, err = config.Parse("default.yml (embedded)", configs.Default, a.env)
	} else {
		cfg, err = config.LoadFile(a.opts.ConfigFile, a.env)
	}
	if err != nil {
		return nil, 0, err
	}
	if a.opts.StateDir != "" {
		cfg.Agent.StateDir = a.opts.StateDir
	}
	inFile = len(cfg.Probes) + len(cfg.Discovery)
	cfg.Probes = schedule.Filter(a.opts.Shard, cfg.Probes, func(p config.ProbeConfig) string { return p.Name })
	return cfg, inFile, nil
}

// errNoProbes refuses a reload to a config without probes: an empty or
// truncated file, or one commented out, would stop all monitoring.
var errNoProbes = errors.New("the config has no probes; refusing it, as it would stop all monitoring")

// errClosing refuses a reload that ends after the agent began to shut down.
var errClosing = errors.New("the agent is shutting down")

// Reload loads the config again and applies it. A config that does not load,
// has no probes (but at the first start) or whose probes cannot be built is
// rejected with the reason, and the running config stays.
//
// The file is read and parsed before any lock is taken, so that a slow one
// (a large file, a stalled network filesystem) holds up neither a shutdown,
// which refuses what it yields, nor the reloads that follow, of which the
// newest applied wins.
func (a *Agent) Reload() error {
	seq := a.reloadSeq.Add(1)
	cfg, inFile, err := a.loadConfig()
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	if a.closing.Load() {
		return errClosing
	}
	if seq < a.applied {
		return nil // a reload begun later has been applied
	}
	if err == nil && inFile == 0 {
		if a.config() != nil {
			err = errNoProbes
		} else {
			a.log.Warn("the config has no probes: nothing is monitored until a config with probes is loaded", "file", a.configName())
		}
	}
	loaded := cfg
	if err == nil {
		if len(cfg.Discovery) > 0 || a.disc != nil {
			a.startDiscovery()
			a.disc.Update(cfg.Sources())
			cfg = a.withTargets(cfg)
		}
		err = a.apply(cfg)
		if err != nil && a.disc != nil && a.base != nil {
			a.disc.Update(a.base.Sources()) // back to the running config's
		}
	}
	a.self.reloaded(err == nil, a.now())
	if err != nil {
		if a.config() == nil {
			// At start there is no running config to keep.
			a.log.Error("config not loaded", "file", a.configName(), "err", err)
		} else {
			a.log.Error("config not loaded; keeping the running config", "file", a.configName(), "err", err)
		}
		return err
	}
	a.applied, a.base = seq, loaded
	a.log.Info("config loaded", "file", a.configName(), "probes", len(cfg.Probes))
	return nil
}

func (a *Agent) configName() string {
	if a.opts.ConfigFile == "" {
		return "(embedded default)"
	}
	return a.opts.ConfigFile
}

// build returns the probers of the config's probes whose kind wants
// selects, each built by its kind with the shared resource of that kind.
func build(cfg *config.Config, shared map[string]any, wants func(kind string) bool, into map[string]probes.Prober) error {
	var errs []error
	for i := range cfg.Probes {
		p := &cfg.Probes[i]
		if !wants(p.Kind) {
			continue
		}
		pr, err := p.KindOf().Build(p.Spec(shared[p.Kind]))
		if err != nil {
			errs = append(errs, fmt.Errorf("probe %q: %w", p.Name, err))
			continue
		}
		into[p.Name] = pr
	}
	return errors.Join(errs...)
}

// apply builds everything the config needs, then swaps it in. Nothing of the
// running config is touched until all of the new one has been built.
func (a *Agent) apply(cfg *config.Config) error {
	// What starting the new config logs may quote its secrets.
	oldRedact := a.redact.Swap(cfg.Redactor())
	br, oldBrowser := a.browserFor(cfg)
	probers := make(map[string]probes.Prober, len(cfg.Probes))
	fail := func(err error) error {
		a.redact.Store(oldRedact)
		closeAll(probers)
		if br != nil && br != a.browser {
			_ = br.Close()
		}
		return err
	}
	// Plugin probes are built last, once the rest of the config has been
	// built: only then is the plugin supervisor updated, which the config
	// was validated against.
	isPlugin := func(kind string) bool { return kind == plugins.Kind.Name }
	if err := build(cfg, map[string]any{browser.Kind.Name: br}, func(k string) bool { return !isPlugin(k) }, probers); err != nil {
		return fail(err)
	}
	if err := a.applySLOs(cfg); err != nil {
		return fail(err)
	}
	if err := build(cfg, map[string]any{plugins.Kind.Name: a.pluginsFor(cfg)}, isPlugin, probers); err != nil {
		return fail(err)
	}

	a.mu.Lock()
	oldProbers, oldCfg := a.probers, a.cfg
	states := make(map[string]*probeState, len(cfg.Probes))
	list := make([]*probeState, 0, len(cfg.Probes))
	for i := range cfg.Probes {
		p := &cfg.Probes[i]
		st := a.states[p.Name]
		if st == nil {
			st = newProbeState(p.Name)
		}
		st.mu.Lock()
		st.cfg = p
		st.mu.Unlock()
		states[p.Name] = st
		list = append(list, st)
	}
	labels := agentLabels(cfg)
	reg, err := a.registry(cfg, list, br, true)
	var rest *prometheus.Registry
	if err == nil {
		rest, err = a.registry(cfg, nil, br, false) // all but the probes' and SLOs' series: see exposition
	}
	if err != nil {
		a.mu.Unlock()
		return fail(err)
	}
	a.browser, a.browserOpts = br, cfg.Browser
	a.stopScheduler()
	a.cfg, a.states, a.probers = cfg, states, probers
	// Sample layouts are kept per config: those of probes that are gone
	// go with it.
	a.layouts = expo.NewLayouts()
	a.gatherer.Store(reg)
	a.expo.Store(a.exposition(rest, newProbeCollector(list, labels), labels))
	a.self.probes.Set(float64(len(list)))
	a.runner.SetLimit(cfg.Agent.MaxConcurrentRuns)
	a.startScheduler(list, probers)
	a.mu.Unlock()

	// Probers of the old config may still be running; close them, and a
	// browser no longer used, once their longest timeout has passed.
	if len(oldProbers) > 0 || oldBrowser != nil {
		wait := oldCfg.MaxTimeout() + time.Second
		go func() {
			time.Sleep(wait)
			closeAll(oldProbers)
			if oldBrowser != nil {
				_ = oldBrowser.Close()
			}
		}()
	}
	return nil
}

func closeAll(ps map[string]probes.Prober) {
	for _, p := range ps {
		if c, ok := p.(probes.Closer); ok {
			_ = c.Close()
		}
	}
}

// registry builds the metrics registry of a config generation. Every series
// in it carries the agent's labels. withState adds the probes' and the
// SLOs' series, which /metrics writes without a registry.
func (a *Agent) registry(cfg *config.Config, states []*probeState, br *browser.Browser, withState bool) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	wrapped := prometheus.WrapRegistererWith(agentLabels(cfg), reg)
	cs := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	cs = append(cs, a.self.collectors()...)
	cs = append(cs, a.fleetCollectors(cfg)...)
	cs = append(cs, oncallCollector{a})
	if withState {
		cs = append(cs, newProbeCollector(states, nil))
		if a.slo != nil {
			cs = append(cs, a.slo.Collector())
		}
	}
	if br != nil {
		cs = append(cs, newBrowserCollector(br))
	}
	if a.plugins != nil {
		cs = append(cs, a.plugins.Collector())
	}
	for _, c := range cs {
		if err := wrapped.Register(c); err != nil {
			return nil, fmt.Errorf("registering metrics: %w", err)
		}
	}
	return reg, nil
}

// fleetCollectors are the metrics of sharding and pushing, for the
// registry of a config generation.
func (a *Agent) fleetCollectors(cfg *config.Config) []prometheus.Collector {
	var cs []prometheus.Collector
	if a.opts.Shard.Sharded() {
		cs = append(cs, a.opts.Shard.Collector())
	}
	if cfg.Push.Enabled() {
		cs = append(cs, a.self.pushCollectors()...)
	}
	return cs
}

// startScheduler schedules the probes' runs on the runner; each run's
// outcome is recorded by finish.
func (a *Agent) startScheduler(states []*probeState, probers map[string]probes.Prober) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	jobs := make([]schedule.Job, len(states))
	for i, st := range states {
		st.mu.Lock()
		var last time.Time
		if st.hasRun {
			last = times.FromUnixNano(st.lastStart)
		}
		st.mu.Unlock()
		jobs[i] = schedule.Job{Run: a.runOf(st, probers[st.name], true), Interval: st.cfg.Interval.D(), Last: last}
	}
	s := schedule.New(jobs, a.now, a.runner.Start)
	a.schedStop, a.schedDone = cancel, done
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
}

// runOf is a run of a probe; a counted run records its outcome, a debug
// run does not.
func (a *Agent) runOf(st *probeState, pr probes.Prober, counted bool) schedule.Run {
	p := st.cfg
	run := schedule.Run{Probe: st.name, Kind: p.Kind, Prober: pr, Timeout: p.Timeout.D(), Running: &st.running}
	if counted {
		run.Record = func(o schedule.Outcome) { a.finish(st, p, o) }
		run.Skip = func(why error) {
			st.skip()
			a.log.Warn("run skipped", "probe", st.name, "why", why)
		}
	}
	return run
}

func (a *Agent) stopScheduler() {
	if a.schedStop != nil {
		a.schedStop()
		<-a.schedDone
		a.schedStop = nil
	}
}

// finish records a run's outcome: the probe's state and metrics, logs and
// SLO events.
func (a *Agent) finish(st *probeState, p *config.ProbeConfig, o schedule.Outcome) {
	res := o.Result
	if !res.Success && res.Message != "" {
		// Probes failing alike (a network partition) say the same:
		// the probe's state and its incident keep one copy of it, not
		// one each (80 bytes a probe at 10,000 probes).
		res.Message = unique.Make(res.Message).Value()
	}
	a.mu.RLock()
	layouts := a.layouts
	a.mu.RUnlock()
	var slow bool
	if a.slo != nil && res.Success {
		if thr := a.slo.LatencyThreshold(st.name, p.Labels); thr > 0 && res.Duration > thr {
			slow = true
		}
	}
	prevReason := st.lastReason()
	changed, first := st.record(res, o.Start, layouts, slow)
	if !res.Success {
		attrs := []any{"probe", st.name, "reason", res.Reason, "msg", res.Message,
			"duration", res.Duration.Round(time.Microsecond)}
		if len(res.Diagnostics) > 0 {
			attrs = append(attrs, "diagnostics", res.Diagnostics)
		}
		switch {
		case !agentsOwnFailure(res.Reason):
			a.log.Warn("probe failed", attrs...)
		case first || prevReason != res.Reason:
			// The agent's own trouble says the same on every run until
			// it is fixed: said once, then counted.
			a.log.Warn("probe failed", append(attrs, "repeats", "runs failing for the same reason after this one are counted in probe_failures_total, not logged")...)
		default:
			a.log.Debug("probe failed", attrs...)
		}
	}
	switch {
	case changed && res.Success:
		a.log.Info("probe recovered", "probe", st.name)
	case changed:
		a.log.Info("probe started failing", "probe", st.name, "reason", res.Reason)
	case first:
		a.log.Debug("probe ran for the first time", "probe", st.name, "success", res.Success)
	}
	if a.slo != nil {
		a.slo.Observe(slo.Event{Probe: st.name, Labels: p.Labels, Time: o.Start, Success: res.Success, Duration: res.Duration, Reason: res.Reason})
		a.recordOncall(st.name, p.Labels, res, o.Start)
	}
}

// agentsOwnFailure reports whether a failure reason is the agent's own
// trouble (its browser or a plugin cannot run) rather than the target's.
func agentsOwnFailure(reason string) bool {
	return reason == probes.ReasonBrowserUnavailable || reason == probes.ReasonPluginUnavailable
}

// Shutdown stops scheduling, cancels runs in flight and waits for them, at
// most until ctx is done.
func (a *Agent) Shutdown(ctx context.Context) {
	a.ready.Store(false)
	// A reload being applied finishes first; one still reading its
	// file is refused when it is done.
	a.closing.Store(true)
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.stopDiscovery()
	a.mu.Lock()
	a.stopScheduler()
	probers := a.probers
	a.mu.Unlock()
	a.runner.Stop()
	if !a.runner.Wait(ctx) {
		a.log.Warn("shutdown: some probe runs did not end in time")
	}
	closeAll(probers)
	a.mu.Lock()
	if a.browser != nil {
		_ = a.browser.Close()
	}
	if a.plugins != nil {
		_ = a.plugins.Close()
	}
	a.mu.Unlock()
	a.closeSLOs()
}

// snapshots returns every configured probe's state, sorted by name.
func (a *Agent) snapshots() []snapshot {
	a.mu.RLock()
	out := make([]snapshot, 0, len(a.states))
	for _, s := range a.states {
		out = append(out, s.snapshot(a.now()))
	}
	a.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// probe returns a probe's state and prober in the running config; nil for
// a probe that is not in it.
func (a *Agent) probe(name string) (*probeState, probes.Prober) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	st := a.states[name]
	if st == nil {
		return nil, nil
	}
	return st, a.probers[name]
}

func (a *Agent) config() *config.Config {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cfg
}

// pushConfig is the running config's push section and the agent's name,
// for the push loop.
func (a *Agent) pushConfig() (*push.Config, string) {
	cfg := a.config()
	if cfg == nil {
		return nil, ""
	}
	return &cfg.Push, cfg.Agent.Name
}
