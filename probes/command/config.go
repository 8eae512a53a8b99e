package command

import (
	"os"
	"path/filepath"

	"github.com/sloagent/sloagent/internal/conf"
)

// Config is the command section of a probe of kind command.
type Config struct {
	// Path is the check executable, e.g. /usr/lib/nagios/plugins/check_tcp.
	Path string `yaml:"path"`
	// Args are its arguments; {{target}} (or $TARGET), {{host}} and
	// {{port}} are replaced by the probe's target and its parts.
	Args []string `yaml:"args,omitempty"`
	// Env is added to the check's environment, which otherwise holds only
	// PATH (DefaultPath), LC_ALL=C and SLOAGENT_TARGET.
	Env map[string]conf.Secret `yaml:"env,omitempty"`
	// InheritEnv names variables of the agent's environment to pass on.
	InheritEnv []string `yaml:"inherit_env,omitempty"`
	// Dir is the working directory; default the agent's.
	Dir string `yaml:"dir,omitempty"`
	// WarningIsSuccess counts a WARNING (exit status 1) as a successful
	// run; by default it fails with reason check_warning.
	WarningIsSuccess bool `yaml:"warning_is_success,omitempty"`
}

// DefaultPath is the PATH a check runs with unless env sets one.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Validate checks the section.
func (c *Config) Validate(r conf.Report) {
	switch {
	case c.Path == "":
		r.Errorf("path", "missing path of the check command")
	case !filepath.IsAbs(c.Path):
		r.Errorf("path", "path %q must be absolute", c.Path)
	default:
		if fi, err := os.Stat(c.Path); err != nil {
			r.Errorf("path", "%v", err)
		} else if fi.IsDir() || !conf.Executable(fi) {
			r.Errorf("path", "%s is not an executable file", c.Path)
		}
	}
	conf.ValidateEnv(r, c.Env, c.InheritEnv)
	if c.Dir != "" {
		if fi, err := os.Stat(c.Dir); err != nil {
			r.Errorf("dir", "%v", err)
		} else if !fi.IsDir() {
			r.Errorf("dir", "%s is not a directory", c.Dir)
		}
	}
}
