// Package config is the agent's configuration file: its types, their
// defaults and validation, and decoding with every problem reported at once
// as file:line: field: message. Each probe's kind section is decoded and
// checked by its kind (probes/kinds).
package config

import (
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/agent/push"
	"github.com/sloagent/sloagent/incident"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/expo"
	"github.com/sloagent/sloagent/notify"
	"github.com/sloagent/sloagent/plugins"
	"github.com/sloagent/sloagent/probes/browser"
	"github.com/sloagent/sloagent/probes/kinds"
	"github.com/sloagent/sloagent/slo"
)

// Config is the whole configuration file.
type Config struct {
	Agent  AgentConfig   `yaml:"agent"`
	Probes []ProbeConfig `yaml:"probes"`
	SLOs   []slo.Config  `yaml:"slos,omitempty"`
	// Discovery makes probes from templates, one for each target its
	// sources find.
	Discovery []DiscoveryConfig `yaml:"discovery,omitempty"`
	// Browser configures the one Chromium that browser probes share.
	Browser browser.Options `yaml:"browser,omitempty"`
	// Plugins are the plugin executables that probes of kind plugin run on.
	Plugins []plugins.Config `yaml:"plugins,omitempty"`
	// Push sends metrics where nothing scrapes the agent.
	Push push.Config `yaml:"push,omitempty"`
	// Alerting is how often the agent evaluates its alerts.
	Alerting AlertingConfig `yaml:"alerting,omitempty"`
	// Notifications sends the alerts to Alertmanagers, where nothing
	// evaluates the generated rules.
	Notifications notify.Config `yaml:"notifications,omitempty"`
	// Incidents decides when an outage becomes an incident.
	Incidents incident.Config `yaml:"incidents,omitempty"`

	// files locates problems found after loading (Problems) in the files
	// of the config (their lines only when loaded to check); warnings are
	// what loading to check found but did not refuse, one line each.
	files    *layout
	warnings []string

	redactor *conf.Redactor // the file's secrets, wherever they came from
}

// AlertingConfig is the alerting section.
type AlertingConfig struct {
	// EvaluationInterval is how often the SLOs' and probes' alerts are
	// evaluated: how late at most a transition is seen, logged and sent.
	EvaluationInterval conf.Duration `yaml:"evaluation_interval,omitempty"`
}

// DefaultEvaluationInterval is the alerting section's default.
const DefaultEvaluationInterval = 10 * time.Second

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

// Defaults of the agent section.
const (
	DefaultInterval          = 30 * time.Second
	DefaultTimeout           = 10 * time.Second
	DefaultMaxConcurrentRuns = 1000
	DefaultStateDir          = "data"
	DefaultStateFlush        = time.Minute
)

// LoadFile reads and validates a config to run it. The returned error, if
// any, is a *conf.Error listing every problem with its line and field, or
// conf.Errors for a config of several files.
func LoadFile(path string, env func(string) (string, bool)) (*Config, error) {
	return LoadFileFor(ToRun, path, env)
}

// LoadFileFor reads and validates a config for purpose. path is a file, a
// directory of *.yml and *.yaml files, or a glob (see Files); the files
// of a directory or glob are merged into one config.
func LoadFileFor(purpose Purpose, path string, env func(string) (string, bool)) (*Config, error) {
	files, err := Files(path)
	if err != nil {
		return nil, err
	}
	srcs := make([]source, len(files))
	for i, f := range files {
		data, err := conf.ReadFile(f)
		if err != nil {
			return nil, err
		}
		srcs[i] = source{f, data}
	}
	return parse(purpose, srcs, env)
}

// Parse decodes, defaults and validates a config to run it. file names it
// in errors.
func Parse(file string, data []byte, env func(string) (string, bool)) (*Config, error) {
	return ParseFor(ToRun, file, data, env)
}

// ParseFor decodes, defaults and validates a config for purpose.
func ParseFor(purpose Purpose, file string, data []byte, env func(string) (string, bool)) (*Config, error) {
	return parse(purpose, []source{{file, data}}, env)
}

// parse decodes the files of a config, merges them (each list is the
// files' lists one after the other; each section comes from the one file
// that sets it), and defaults and validates the whole. Every problem is
// reported with the file and line it is about.
func parse(purpose Purpose, srcs []source, env func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	l := &layout{lists: map[string][]origin{}, sections: map[string]int{}}
	c.files = l
	per := make([][]conf.Problem, len(srcs))
	unparsed := false
	for d, src := range srcs {
		part := &Config{}
		doc, problems := conf.Decode(src.file, src.data, part, env)
		doc.Public(WebAddressVar)
		l.docs = append(l.docs, doc)
		if doc.Root == nil && len(problems) > 0 {
			per[d], unparsed = problems, true // not YAML at all
			continue
		}
		for i := range part.Probes {
			problems = append(problems, part.Probes[i].decodeSection(doc)...)
		}
		for i := range part.Discovery {
			problems = append(problems, part.Discovery[i].Template.decodeSection(doc)...)
		}
		per[d] = append(problems, l.merge(c, part, d)...)
	}
	if unparsed {
		return nil, l.err(per)
	}
	c.applyDefaults()
	r := conf.NewReport()
	c.validate(r)
	w := conf.NewReport()
	if purpose == ToRun {
		w = r
	}
	c.checkRunTime(w)
	if purpose != ToRun {
		c.lintSLOs(w)
		c.warnings = l.lines(w.Problems())
	}
	// A value that did not decode is left zero and would fail validation
	// too; report it once, as decoding saw it.
	bad := make([]map[string]bool, len(srcs))
	for d, ps := range per {
		bad[d] = map[string]bool{}
		for _, p := range ps {
			bad[d][p.Field] = true
		}
	}
	l.split(r.Problems(), per, bad)
	if err := l.err(per); err != nil {
		return nil, err
	}
	c.redactor = l.redactor()
	if purpose == ToRun {
		// Only checking locates problems found after loading by line; a
		// running agent does not keep the files' node trees (some 30 MB
		// at 10,000 probes with an SLO each) for as long as it runs them.
		for i, doc := range l.docs {
			l.docs[i] = &conf.Document{File: doc.File}
		}
	}
	return c, nil
}

// WebAddressVar is the variable the agent sets to the address it serves on,
// for configs that probe the agent itself; it is no secret.
const WebAddressVar = "SLOAGENT_WEB_ADDRESS"

// Redactor hides the config's secrets in what the agent prints: logs,
// debug output, the status page. Nil for a config that was not parsed.
func (c *Config) Redactor() *conf.Redactor { return c.redactor }

func (c *Config) applyDefaults() {
	c.Push.ApplyDefaults()
	if c.Notifications.Enabled() {
		c.Notifications.ApplyDefaults() // else nothing of it is in effect
	}
	c.Incidents.ApplyDefaults()
	if c.Alerting.EvaluationInterval == 0 {
		c.Alerting.EvaluationInterval = conf.Duration(DefaultEvaluationInterval)
	}
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
	empty := emptySections{}
	for i := range c.Probes {
		c.Probes[i].applyDefaults(a, empty)
	}
	for i := range c.Discovery {
		c.Discovery[i].applyDefaults(a, empty)
	}
}

func (c *Config) validate(r conf.Report) {
	reserved := reservedLabels()
	a := r.At("agent")
	if c.Agent.MaxConcurrentRuns < 0 {
		a.Errorf("max_concurrent_runs", "must be positive, got %d", c.Agent.MaxConcurrentRuns)
	}
	if c.Agent.DefaultTimeout < 0 {
		a.Errorf("default_timeout", "must be positive")
	}
	if d := c.Agent.StateFlushInterval.D(); d < slo.MinFlushInterval {
		a.Errorf("state_flush_interval", "must be at least %s, got %s", slo.MinFlushInterval, c.Agent.StateFlushInterval)
	}
	validateLabels(a.At("labels"), c.Agent.Labels, reserved)
	c.Browser.Validate(r.At("browser"))
	c.Push.Validate(r.At("push"))
	if c.Notifications.Enabled() {
		c.Notifications.Validate(r.At("notifications"))
	}
	c.Incidents.Validate(r.At("incidents"))
	if c.Alerting.EvaluationInterval < conf.Duration(time.Second) {
		r.At("alerting").Errorf("evaluation_interval", "must be at least 1s (got %s)", c.Alerting.EvaluationInterval)
	}
	seen := map[string]int{}
	for i := range c.Probes {
		p := &c.Probes[i]
		pr := r.Index("probes", i)
		if j, dup := seen[p.Name]; dup && p.Name != "" {
			pr.Errorf("name", "duplicate probe name %q (also probes[%d])", p.Name, j)
		}
		seen[p.Name] = i
		p.validate(pr, c.Plugins, reserved)
	}
	templates := map[string]int{}
	for i := range c.Discovery {
		d := &c.Discovery[i]
		dr := r.Index("discovery", i)
		if j, dup := templates[d.Template.Name]; dup && d.Template.Name != "" {
			dr.At("template").Errorf("name", "duplicate template name %q (also discovery[%d])", d.Template.Name, j)
		}
		templates[d.Template.Name] = i
		d.validate(dr, c, reserved)
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

// lintSLOs reports the SLOs whose alerts cannot work as meant (slo.Lint)
// into r: warnings, for the config is valid.
func (c *Config) lintSLOs(r conf.Report) {
	var probes []slo.ProbeInfo
	for _, p := range append(c.templateProbes(), c.Probes...) {
		probes = append(probes, slo.ProbeInfo{Name: p.Name, Labels: p.Labels, Interval: p.Interval.D()})
	}
	slo.Lint(r, c.SLOs, probes)
}

// Uses reports whether a probe of the config is of kind name.
func (c *Config) Uses(kind string) bool {
	for i := range c.Probes {
		if c.Probes[i].Kind == kind {
			return true
		}
	}
	return false
}

// MaxTimeout is the longest timeout of the config's probes.
func (c *Config) MaxTimeout() time.Duration {
	var m time.Duration
	if c == nil {
		return 0
	}
	for _, p := range c.Probes {
		m = max(m, p.Timeout.D())
	}
	return m
}

// Redacted returns the config as YAML with every secret replaced by
// <secret>, as /config shows it: the values in effect, defaults included,
// without what is unset (the browser section without browser probes, push
// without a target). Secret fields and URLs hide themselves, and the
// Redactor hides the rest: values from the environment by their field,
// values under names like credentials, secrets repeated elsewhere.
func (c *Config) Redacted() ([]byte, error) {
	shown := *c
	if !c.Uses(browser.Kind.Name) {
		shown.Browser = browser.Options{}
	}
	if !c.Push.Enabled() {
		shown.Push = push.Config{}
	}
	var n yaml.Node
	if err := n.Encode(&shown); err != nil {
		return nil, fmt.Errorf("printing config: %w", err)
	}
	c.redactor.Node(&n)
	b, err := yaml.Marshal(&n)
	if err != nil {
		return nil, fmt.Errorf("printing config: %w", err)
	}
	return b, nil
}

// reservedLabels are the label names a config may not set: those the agent
// sets itself, and those of every family the agent exports (reason, phase,
// slo, window, ...), which a config label of the same name would collide
// with.
func reservedLabels() map[string]bool {
	out := make(map[string]bool, len(conf.ReservedLabels)+32)
	for l := range conf.ReservedLabels {
		out[l] = true
	}
	for _, l := range expo.LabelNames(expo.ProbeFamilies, slo.Families()) {
		out[l] = true
	}
	for _, k := range kinds.All {
		for _, f := range k.Families {
			for _, l := range f.Labels {
				out[l] = true
			}
		}
	}
	return out
}

func validateLabels(r conf.Report, labels map[string]string, reserved map[string]bool) {
	for name := range labels {
		switch {
		case !conf.ValidLabelName(name):
			r.Errorf(name, "invalid label name %q", name)
		case reserved[name]:
			r.Errorf(name, "label %q is set by the agent and cannot be configured", name)
		}
	}
}
