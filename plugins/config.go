package plugins

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// Config is one entry of the top-level plugins list: a plugin executable the
// agent runs and supervises.
type Config struct {
	// Name is what probes refer to in their plugin section.
	Name string `yaml:"name"`
	// Command is the plugin executable (a path; not searched in PATH).
	Command string   `yaml:"command"`
	Args    []string `yaml:"args,omitempty"`
	// SHA256 is the expected hex checksum of Command; when set, a binary
	// that does not match is refused.
	SHA256 string `yaml:"sha256,omitempty"`
	// Env is the plugin's whole environment besides what go-plugin adds:
	// the agent's own environment is not inherited.
	Env map[string]conf.Secret `yaml:"env,omitempty"`
	// InheritEnv names variables of the agent's environment to pass on
	// (PATH, HOME, ...).
	InheritEnv []string `yaml:"inherit_env,omitempty"`
	// AutoMTLS authenticates both ends of the plugin connection with
	// one-time certificates. Go plugins built with the SDK support it;
	// plugins in other languages usually do not and set it to false.
	AutoMTLS *bool `yaml:"auto_mtls,omitempty"`
	// StartTimeout bounds the start and handshake.
	StartTimeout conf.Duration `yaml:"start_timeout,omitempty"`
	// RestartBackoff is the first delay before restarting a plugin that
	// exited, hung or failed to start; it doubles with every failure in a
	// row up to MaxRestartBackoff.
	RestartBackoff    conf.Duration `yaml:"restart_backoff,omitempty"`
	MaxRestartBackoff conf.Duration `yaml:"max_restart_backoff,omitempty"`
}

// Defaults of a plugin entry.
const (
	DefaultStartTimeout      = 10 * time.Second
	DefaultRestartBackoff    = time.Second
	DefaultMaxRestartBackoff = 5 * time.Minute
)

var (
	pluginNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
)

// Defaults fills in unset fields.
func (c *Config) Defaults() {
	if c.AutoMTLS == nil {
		c.AutoMTLS = new(true)
	}
	c.StartTimeout = cmp.Or(c.StartTimeout, conf.Duration(DefaultStartTimeout))
	c.RestartBackoff = cmp.Or(c.RestartBackoff, conf.Duration(DefaultRestartBackoff))
	c.MaxRestartBackoff = cmp.Or(c.MaxRestartBackoff, conf.Duration(max(DefaultMaxRestartBackoff, c.RestartBackoff.D())))
}

// Validate checks the entry (after Defaults).
func (c *Config) Validate(r conf.Report) {
	switch {
	case c.Name == "":
		r.Errorf("name", "missing plugin name")
	case !pluginNameRE.MatchString(c.Name):
		r.Errorf("name", "invalid plugin name %q: use lower-case letters, digits, '_' and '-'", c.Name)
	}
	if c.Command == "" {
		r.Errorf("command", "missing plugin command")
	} else if err := checkExecutable(c.Command); err != nil {
		r.Errorf("command", "%v", err)
	}
	if c.SHA256 != "" {
		if b, err := hex.DecodeString(c.SHA256); err != nil || len(b) != 32 {
			r.Errorf("sha256", "must be 64 hex digits, got %q", c.SHA256)
		}
	}
	conf.ValidateEnv(r, c.Env, c.InheritEnv)
	if c.StartTimeout < 0 {
		r.Errorf("start_timeout", "must be positive")
	}
	if c.RestartBackoff < 0 {
		r.Errorf("restart_backoff", "must be positive")
	}
	if c.MaxRestartBackoff < c.RestartBackoff {
		r.Errorf("max_restart_backoff", "must not be shorter than restart_backoff (%s)", c.RestartBackoff)
	}
}

// ValidateList checks what spans entries: unique names. Call it with the
// report of the plugins list after validating each entry.
func ValidateList(cs []Config, r conf.Report) {
	seen := map[string]int{}
	for i, c := range cs {
		if j, dup := seen[c.Name]; dup && c.Name != "" {
			r.Index("", i).Errorf("name", "duplicate plugin name %q (also plugins[%d])", c.Name, j)
		}
		seen[c.Name] = i
	}
}

func checkExecutable(path string) error {
	if !strings.ContainsRune(path, os.PathSeparator) && !strings.ContainsRune(path, '/') {
		return fmt.Errorf("command %q must be a path to the plugin executable", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	if !conf.Executable(fi) {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

// ProbeConfig is the plugin section of a probe of kind plugin.
type ProbeConfig struct {
	// Name is the plugin (an entry of the plugins list) that runs the probe.
	Name string `yaml:"name"`
	// Settings are passed to the plugin as a JSON object; what they mean
	// is up to the plugin.
	Settings map[string]any `yaml:"settings,omitempty"`
}

// Validate checks the section. Whether the plugin is declared is checked by
// ValidateProbe, which needs the plugins list.
func (pc *ProbeConfig) Validate(r conf.Report) {
	if pc.Name == "" {
		r.Errorf("name", "missing plugin name")
	}
	if _, err := settingsJSON(pc.Settings); err != nil {
		r.Errorf("settings", "%v", err)
	}
}

// ValidateProbe checks pc and that it names a plugin of cs.
func ValidateProbe(cs []Config, pc *ProbeConfig, r conf.Report) {
	pc.Validate(r)
	CheckDeclared(cs, pc, r)
}

// CheckDeclared checks that pc names a plugin of cs.
func CheckDeclared(cs []Config, pc *ProbeConfig, r conf.Report) {
	if pc.Name == "" {
		return
	}
	var names []string
	for _, c := range cs {
		if c.Name == pc.Name {
			return
		}
		if !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	r.Errorf("name", "no plugin named %q in the plugins list (declared: %s)", pc.Name, strings.Join(names, ", "))
}
