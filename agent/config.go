package agent

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/plugins"
	"github.com/sloagent/sloagent/probes/browser"
	"github.com/sloagent/sloagent/probes/command"
	httpprobe "github.com/sloagent/sloagent/probes/http"
	"github.com/sloagent/sloagent/slo"
)

// Config is the whole configuration file.
type Config struct {
	Agent  AgentConfig   `yaml:"agent"`
	Probes []ProbeConfig `yaml:"probes"`
	SLOs   []slo.Config  `yaml:"slos,omitempty"`
	// Browser configures the one Chromium that browser probes share.
	Browser browser.Options `yaml:"browser,omitempty"`
	// Plugins are the plugin executables that probes of kind plugin run on.
	Plugins []plugins.Config `yaml:"plugins,omitempty"`
	// Push sends metrics where nothing scrapes the agent.
	Push PushConfig `yaml:"push,omitempty"`
}

// AgentConfig is the agent section: who this agent is and where it keeps
// state.
type AgentConfig struct {
	// Name identifies this agent among many; it is the `agent` label on
	// every series. Defaults to the host name.
	Name string `yaml:"name,omitempty"`
	// Location is the vantage point (a region, a data centre); when set it
	// is the `location` label on every series.
	Location string `yaml:"location,omitempty"`
	// Labels are put on every series the agent exports.
	Labels map[string]string `yaml:"labels,omitempty"`
	// StateDir holds SLO state and failure diagnostics.
	StateDir string `yaml:"state_dir,omitempty"`
	// StateFlushInterval is how often SLO state is written to disk; a
	// crash loses at most this much. The state is also written at exit.
	StateFlushInterval conf.Duration `yaml:"state_flush_interval,omitempty"`
	// MaxConcurrentRuns bounds the probe runs in flight at once. The
	// default leaves room for thousands of probes a second, whose runs
	// bunch up behind a pause (a GC, a slow target) of a few
	// milliseconds, while bounding what hanging targets can hold.
	MaxConcurrentRuns int `yaml:"max_concurrent_runs,omitempty"`
	// DefaultInterval and DefaultTimeout apply to probes that set none.
	DefaultInterval conf.Duration `yaml:"default_interval,omitempty"`
	DefaultTimeout  conf.Duration `yaml:"default_timeout,omitempty"`
}

// ProbeConfig is one entry of the probes list.
type ProbeConfig struct {
	Name     string            `yaml:"name"`
	Kind     string            `yaml:"kind,omitempty"`
	Target   string            `yaml:"target,omitempty"`
	Interval conf.Duration     `yaml:"interval,omitempty"`
	Timeout  conf.Duration     `yaml:"timeout,omitempty"`
	Labels   map[string]string `yaml:"labels,omitempty"`

	HTTP    *httpprobe.Config    `yaml:"http,omitempty"`
	Browser *browser.Config      `yaml:"browser,omitempty"`
	Plugin  *plugins.ProbeConfig `yaml:"plugin,omitempty"`
	Command *command.Config      `yaml:"command,omitempty"`
}

// Defaults of the agent section.
const (
	DefaultInterval          = 30 * time.Second
	DefaultTimeout           = 10 * time.Second
	DefaultMaxConcurrentRuns = 1000
	DefaultStateDir          = "data"
	DefaultStateFlush        = time.Minute
)

// Probe kinds.
const (
	KindHTTP    = "http"
	KindBrowser = "browser"
	KindPlugin  = "plugin"
	KindCommand = "command"
)

var (
	probeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)
	labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// reservedLabels are set by the agent itself and may not be configured.
var reservedLabels = map[string]bool{
	"agent": true, "location": true, "probe": true, "job": true, "instance": true,
	"phase": true, "reason": true, "result": true, "step": true, "vital": true,
	"version": true, "slo": true, "window": true, "severity": true, "le": true,
	"plugin": true, "kind": true, "quantile": true, "label": true, "uom": true,
	"cipher": true, "subject": true, "issuer": true, "fingerprint_sha256": true,
	"subjectalternative": true,
}

// LoadFile reads and validates a config file. The returned error, if any,
// is a *conf.Error listing every problem with its line and field.
func LoadFile(path string, env func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, env)
}

// Parse decodes, defaults and validates a config. file names it in errors.
func Parse(file string, data []byte, env func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	doc, problems := conf.Decode(file, data, c, env)
	if doc.Root == nil && len(problems) > 0 {
		return nil, doc.Err(problems) // not YAML at all
	}
	c.applyDefaults()
	r := conf.NewReport()
	c.validate(r)
	// A value that did not decode is left zero and would fail validation
	// too; report it once, as decoding saw it.
	bad := map[string]bool{}
	for _, p := range problems {
		bad[p.Field] = true
	}
	for _, p := range doc.Locate(r.Problems()) {
		if !bad[p.Field] {
			problems = append(problems, p)
		}
	}
	if err := doc.Err(doc.Locate(problems)); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) applyDefaults() {
	c.Push.applyDefaults()
	a := &c.Agent
	if a.Name == "" {
		a.Name, _ = os.Hostname()
	}
	if a.StateDir == "" {
		a.StateDir = DefaultStateDir
	}
	if a.StateFlushInterval == 0 {
		a.StateFlushInterval = conf.Duration(DefaultStateFlush)
	}
	if a.MaxConcurrentRuns == 0 {
		a.MaxConcurrentRuns = DefaultMaxConcurrentRuns
	}
	if a.DefaultInterval == 0 {
		a.DefaultInterval = conf.Duration(DefaultInterval)
	}
	for i := range c.Plugins {
		c.Plugins[i].Defaults()
	}
	for i := range c.Probes {
		p := &c.Probes[i]
		if p.Kind == "" {
			p.Kind = KindHTTP
		}
		if p.Interval == 0 {
			p.Interval = a.DefaultInterval
		}
		if p.Timeout == 0 {
			p.Timeout = a.DefaultTimeout
			if p.Timeout == 0 {
				// Leave a fifth of the interval free so a slow run
				// ends before the next one is due.
				p.Timeout = conf.Duration(min(DefaultTimeout, p.Interval.D()*4/5))
			}
		}
		if p.Kind == KindHTTP && p.HTTP == nil {
			p.HTTP = &httpprobe.Config{}
		}
		if p.Kind == KindBrowser && p.Browser == nil {
			p.Browser = &browser.Config{}
		}
	}
}

func (c *Config) validate(r conf.Report) {
	a := r.At("agent")
	if c.Agent.MaxConcurrentRuns < 0 {
		a.Errorf("max_concurrent_runs", "must be positive, got %d", c.Agent.MaxConcurrentRuns)
	}
	if c.Agent.DefaultTimeout < 0 {
		a.Errorf("default_timeout", "must be positive")
	}
	if c.Agent.StateFlushInterval < 0 {
		a.Errorf("state_flush_interval", "must be positive")
	}
	validateLabels(a.At("labels"), c.Agent.Labels)
	c.Browser.Validate(r.At("browser"))
	c.Push.validate(r.At("push"))
	seen := map[string]int{}
	for i := range c.Probes {
		p := &c.Probes[i]
		pr := r.Index("probes", i)
		if j, dup := seen[p.Name]; dup && p.Name != "" {
			pr.Errorf("name", "duplicate probe name %q (also probes[%d])", p.Name, j)
		}
		seen[p.Name] = i
		p.validate(pr, c.Plugins)
	}
	slo.ValidateList(r, c.SLOs)
	for i, s := range c.SLOs {
		for j, name := range s.Probes {
			if _, ok := seen[name]; !ok {
				r.Index("slos", i).Errorf(fmt.Sprintf("probes[%d]", j), "no probe named %q", name)
			}
		}
	}
}

func (p *ProbeConfig) validate(r conf.Report, plugs []plugins.Config) {
	switch {
	case p.Name == "":
		r.Errorf("name", "missing probe name")
	case !probeNameRE.MatchString(p.Name):
		r.Errorf("name", "invalid probe name %q: use letters, digits, '_', '.', ':' and '-'", p.Name)
	}
	if p.Interval <= 0 {
		r.Errorf("interval", "must be positive")
	}
	switch {
	case p.Timeout <= 0:
		r.Errorf("timeout", "must be positive")
	case p.Timeout >= p.Interval:
		r.Errorf("timeout", "timeout %s must be shorter than interval %s", p.Timeout, p.Interval)
	}
	validateLabels(r.At("labels"), p.Labels)
	sections := map[string]bool{KindHTTP: p.HTTP != nil, KindBrowser: p.Browser != nil,
		KindPlugin: p.Plugin != nil, KindCommand: p.Command != nil}
	known := false
	for kind, set := range sections {
		if kind == p.Kind {
			known = true
		} else if set {
			r.Errorf(kind, "section %q does not apply to a probe of kind %q", kind, p.Kind)
		}
	}
	if !known {
		r.Errorf("kind", "unknown probe kind %q (known: http, browser, plugin, command)", p.Kind)
		return
	}
	switch p.Kind {
	case KindHTTP:
		validateHTTPTarget(r, p.Target)
		p.HTTP.Validate(r.At("http"))
	case KindBrowser:
		if p.Target != "" {
			validateHTTPTarget(r, p.Target)
		} else if len(p.Browser.Steps) == 0 || p.Browser.Steps[0].Navigate == "" {
			r.Errorf("target", "a browser probe needs a target, or a first step that navigates")
		}
		p.Browser.Validate(r.At("browser"))
	case KindPlugin:
		if p.Plugin == nil {
			r.Errorf("plugin", "a plugin probe needs a plugin section naming its plugin")
			return
		}
		plugins.ValidateProbe(plugs, p.Plugin, r.At("plugin"))
	case KindCommand:
		if p.Command == nil {
			r.Errorf("command", "a command probe needs a command section with the check's path")
			return
		}
		p.Command.Validate(r.At("command"))
	}
}

func validateHTTPTarget(r conf.Report, target string) {
	if target == "" {
		r.Errorf("target", "missing target URL")
		return
	}
	u, err := url.Parse(target)
	if err != nil {
		r.Errorf("target", "invalid URL: %v", err)
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		r.Errorf("target", "target %q must be an http:// or https:// URL", target)
	} else if u.Host == "" {
		r.Errorf("target", "target %q has no host", target)
	}
}

func validateLabels(r conf.Report, labels map[string]string) {
	for name := range labels {
		switch {
		case !labelNameRE.MatchString(name):
			r.Errorf(name, "invalid label name %q", name)
		case reservedLabels[name]:
			r.Errorf(name, "label %q is set by the agent and cannot be configured", name)
		}
	}
}

// Redacted returns the config as YAML with every secret replaced by
// <secret>, as /config shows it.
func (c *Config) Redacted() ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("printing config: %w", err)
	}
	return b, nil
}
