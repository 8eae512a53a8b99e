// Package agent is the sloagent daemon: command line, config loading and
// reload, the scheduler that runs probes, and the HTTP server that exports
// their results as Prometheus metrics, a status page and debug runs.
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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sloagent/sloagent/configs"
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
	// Shard keeps only this agent's part of the probe list.
	Shard  Shard
	Logger *slog.Logger
}

// Agent runs probes from a config and serves their results.
type Agent struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time

	self    *selfMetrics
	pushm   *pushMetrics
	limiter *limiter
	runCtx  context.Context // cancelled at shutdown: ends every run
	stopRun context.CancelFunc
	runs    sync.WaitGroup

	reloadMu  sync.Mutex // one reload at a time
	mu        sync.RWMutex
	cfg       *Config
	states    map[string]*probeState
	probers   map[string]probes.Prober
	schedStop context.CancelFunc
	schedDone chan struct{}

	started time.Time

	browser     *browser.Browser // nil while no probe needs it
	browserOpts browser.Options
	plugins     *plugins.Supervisor // nil until a config declares plugins

	slo       *slo.Engine // nil until the first config is applied
	sloStore  *slo.Store
	flushStop context.CancelFunc
	flushDone chan struct{}

	gatherer atomic.Pointer[prometheus.Registry]
	expo     atomic.Pointer[exposition] // what /metrics serves
	ready    atomic.Bool
	webAddr  atomic.Value // string: host:port this agent is reachable at
}

// New returns an agent that has loaded nothing yet.
func New(opts Options) *Agent {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &Agent{
		opts:    opts,
		log:     opts.Logger,
		now:     time.Now,
		self:    newSelfMetrics(),
		pushm:   newPushMetrics(),
		runCtx:  ctx,
		stopRun: cancel,
		states:  map[string]*probeState{},
		started: time.Now(),
	}
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
	if name == "SLOAGENT_WEB_ADDRESS" {
		return a.webAddr.Load().(string), true
	}
	return os.LookupEnv(name)
}

// LoadConfig reads the configured file, or the embedded default.
func (a *Agent) LoadConfig() (cfg *Config, err error) {
	if a.opts.ConfigFile == "" {
		cfg, err = Parse("default.yml (embedded)", configs.Default, a.env)
	} else {
		cfg, err = LoadFile(a.opts.ConfigFile, a.env)
	}
	if err == nil && a.opts.StateDir != "" {
		cfg.Agent.StateDir = a.opts.StateDir
	}
	if err == nil {
		a.opts.Shard.apply(cfg)
	}
	return cfg, err
}

// Reload loads the config again and applies it. A config that does not load
// or whose probes cannot be built is rejected with the reason, and the
// running config stays.
func (a *Agent) Reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cfg, err := a.LoadConfig()
	if err == nil {
		err = a.apply(cfg)
	}
	a.self.reloaded(err == nil, a.now())
	if err != nil {
		a.log.Error("config not loaded; keeping the running config", "file", a.configName(), "err", err)
		return err
	}
	a.log.Info("config loaded", "file", a.configName(), "probes", len(cfg.Probes))
	return nil
}

func (a *Agent) configName() string {
	if a.opts.ConfigFile == "" {
		return "(embedded default)"
	}
	return a.opts.ConfigFile
}

// apply builds everything the config needs, then swaps it in. Nothing of the
// running config is touched until all of the new one has been built.
func (a *Agent) apply(cfg *Config) error {
	br, oldBrowser := a.browserFor(cfg)
	discard := func() {
		if br != nil && br != a.browser {
			_ = br.Close()
		}
	}
	// Plugin probes are built last, once the rest of the config has been
	// built: only then is the plugin supervisor updated, which the config
	// was validated against.
	probers := make(map[string]probes.Prober, len(cfg.Probes))
	var errs []error
	buildAll := func(plugin bool, deps kindDeps) {
		for i := range cfg.Probes {
			p := &cfg.Probes[i]
			if (p.Kind == KindPlugin) != plugin {
				continue
			}
			pr, err := build(p, deps)
			if err != nil {
				errs = append(errs, fmt.Errorf("probe %q: %w", p.Name, err))
				continue
			}
			probers[p.Name] = pr
		}
	}
	buildAll(false, kindDeps{browser: br})
	if err := errors.Join(errs...); err != nil {
		closeAll(probers)
		discard()
		return err
	}
	if err := a.applySLOs(cfg); err != nil {
		closeAll(probers)
		discard()
		return err
	}
	buildAll(true, kindDeps{plugins: a.pluginsFor(cfg)})
	if err := errors.Join(errs...); err != nil {
		closeAll(probers)
		discard()
		return err
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
	reg, err := a.registry(cfg, list, br, true)
	var rest *prometheus.Registry
	if err == nil {
		rest, err = a.registry(cfg, nil, br, false) // all but the probes' and SLOs' series: see exposition
	}
	if err != nil {
		a.mu.Unlock()
		closeAll(probers)
		discard()
		return err
	}
	a.browser, a.browserOpts = br, cfg.Browser
	a.stopScheduler()
	a.cfg, a.states, a.probers = cfg, states, probers
	a.gatherer.Store(reg)
	a.expo.Store(&exposition{probes: newProbeCollector(list), slo: a.slo, rest: rest, labels: agentLabels(cfg)})
	a.self.probes.Set(float64(len(list)))
	a.limiter = newLimiterFor(a.limiter, cfg.Agent.MaxConcurrentRuns)
	a.startScheduler(list, probers)
	a.mu.Unlock()

	// Probers of the old config may still be running; close them, and a
	// browser no longer used, once their longest timeout has passed.
	if len(oldProbers) > 0 || oldBrowser != nil {
		wait := maxTimeout(oldCfg) + time.Second
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

func newLimiterFor(old *limiter, n int) *limiter {
	if old != nil && cap(old.slots) == n {
		return old
	}
	return newLimiter(n)
}

func maxTimeout(cfg *Config) time.Duration {
	var m time.Duration
	if cfg == nil {
		return 0
	}
	for _, p := range cfg.Probes {
		m = max(m, p.Timeout.D())
	}
	return m
}

func closeAll(ps map[string]probes.Prober) {
	for _, p := range ps {
		if c, ok := p.(probes.Closer); ok {
			_ = c.Close()
		}
	}
}

// registry builds the metrics registry of a config generation. Every series
// in it carries the agent's labels. withSLOs adds the SLOs' series, which
// /metrics writes without a registry.
func (a *Agent) registry(cfg *Config, states []*probeState, br *browser.Browser, withSLOs bool) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	wrapped := prometheus.WrapRegistererWith(agentLabels(cfg), reg)
	cs := []prometheus.Collector{
		newProbeCollector(states),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	cs = append(cs, a.self.collectors()...)
	cs = append(cs, a.fleetCollectors(cfg)...)
	if a.slo != nil && withSLOs {
		cs = append(cs, a.slo.Collector())
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

func (a *Agent) startScheduler(states []*probeState, probers map[string]probes.Prober) {
	ctx, cancel := context.WithCancel(a.runCtx)
	done := make(chan struct{})
	lim := a.limiter
	start := func(j *job, planned time.Time) { a.startRun(lim, j, planned) }
	s := newScheduler(states, probers, a.now, start, func(j *job) {
		j.state.skip()
		a.log.Warn("run skipped: the previous run is still in flight", "probe", j.state.name)
	})
	a.schedStop, a.schedDone = cancel, done
	go func() {
		defer close(done)
		s.run(ctx)
	}()
}

func (a *Agent) stopScheduler() {
	if a.schedStop != nil {
		a.schedStop()
		<-a.schedDone
		a.schedStop = nil
	}
}

// Shutdown stops scheduling, cancels runs in flight and waits for them, at
// most until ctx is done.
func (a *Agent) Shutdown(ctx context.Context) {
	a.ready.Store(false)
	a.mu.Lock()
	a.stopScheduler()
	probers := a.probers
	a.mu.Unlock()
	a.stopRun()
	done := make(chan struct{})
	go func() {
		a.runs.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
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
		out = append(out, s.snapshot())
	}
	a.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// config returns the running config and the prober of a probe.
func (a *Agent) probe(name string) (*ProbeConfig, probes.Prober) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	st := a.states[name]
	if st == nil {
		return nil, nil
	}
	return st.cfg, a.probers[name]
}

func (a *Agent) config() *Config {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cfg
}
