package browser

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// Defaults of Options, used where a field is left at its zero value.
const (
	DefaultHeadlessShellPath = "/usr/lib/chromium/chromium-headless-shell"
	DefaultChromiumPath      = "/usr/bin/chromium"
	DefaultMaxConcurrentRuns = 1
	DefaultRestartAfterRuns  = 100
	DefaultMemoryLimit       = conf.ByteSize(1 << 30)
	DefaultStartTimeout      = 30 * time.Second
	DefaultMaxQueueWait      = time.Minute
	DefaultDiagMaxFiles      = 300
	DefaultDiagMaxBytes      = conf.ByteSize(100 << 20)
)

// Options is the top-level browser section of the agent config: the one
// Chromium that every browser probe shares. Zero values mean the defaults
// above, so a config without the section works as is.
type Options struct {
	// ChromiumPath is the browser executable. Empty means Debian's headless
	// shell (package chromium-headless-shell) when it is installed, else
	// /usr/bin/chromium, else the places chromedp knows (Chrome, Chromium,
	// and Edge on Windows).
	ChromiumPath string `yaml:"chromium_path,omitempty"`
	// MaxConcurrentRuns bounds how many browser runs share the browser at
	// once; every run is a tab with its own renderer, so on a small machine
	// more than one mostly makes each slower.
	MaxConcurrentRuns int `yaml:"max_concurrent_runs"`
	// MaxQueueWait bounds how long a run waits for one of those slots
	// before it is skipped (counted in sloagent_probe_skipped_runs_total,
	// not as a failure). The wait is not part of the run's timeout.
	MaxQueueWait conf.Duration `yaml:"max_queue_wait"`
	// RestartAfterRuns restarts the browser after that many runs, to shed
	// whatever a long-lived Chromium accumulates. Negative disables it.
	RestartAfterRuns int `yaml:"restart_after_runs"`
	// MemoryLimit restarts the browser between runs when its processes
	// together use more (proportional set size, Linux only). Negative
	// disables it.
	MemoryLimit conf.ByteSize `yaml:"memory_limit"`
	// StartTimeout bounds how long a browser start may take.
	StartTimeout conf.Duration `yaml:"start_timeout"`
	// ExtraFlags are added to Chromium's command line, such as
	// --lang=de or --proxy-server=http://127.0.0.1:3128.
	ExtraFlags []string `yaml:"extra_flags,omitempty"`
	// Diagnostics bounds the files kept for failed runs.
	Diagnostics DiagOptions `yaml:"diagnostics"`
}

// DiagOptions is the retention of diagnostics files: the oldest runs' files
// are removed first when either bound is exceeded.
type DiagOptions struct {
	MaxFiles int           `yaml:"max_files"`
	MaxBytes conf.ByteSize `yaml:"max_bytes"`
}

// Validate checks the section; fields are relative to it.
func (o *Options) Validate(r conf.Report) {
	if o.MaxConcurrentRuns < 0 {
		r.Errorf("max_concurrent_runs", "must not be negative")
	}
	if o.MaxQueueWait < 0 {
		r.Errorf("max_queue_wait", "must not be negative")
	}
	if o.StartTimeout < 0 {
		r.Errorf("start_timeout", "must not be negative")
	}
	if o.Diagnostics.MaxFiles < 0 {
		r.Errorf("diagnostics.max_files", "must not be negative")
	}
	if o.Diagnostics.MaxBytes < 0 {
		r.Errorf("diagnostics.max_bytes", "must not be negative")
	}
	if o.MemoryLimit > 0 && o.MemoryLimit < 64<<20 {
		r.Errorf("memory_limit", "%s is too small for Chromium (at least 64MiB)", o.MemoryLimit)
	}
	for i, f := range o.ExtraFlags {
		name, _, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		switch {
		case !strings.HasPrefix(f, "--") || name == "":
			r.Errorf("extra_flags["+strconv.Itoa(i)+"]", "%q is not a flag (write --name or --name=value)", f)
		case name == "user-data-dir" || strings.HasPrefix(name, "remote-debugging"):
			r.Errorf("extra_flags["+strconv.Itoa(i)+"]", "--%s is set by the agent", name)
		}
	}
}

func (o *Options) maxConcurrent() int {
	return positiveOr(o.MaxConcurrentRuns, DefaultMaxConcurrentRuns)
}

func (o *Options) maxQueueWait() time.Duration {
	return positiveOr(o.MaxQueueWait, conf.Duration(DefaultMaxQueueWait)).D()
}

// restartAfter and memoryLimit take a negative value as given: it
// disables them.
func (o *Options) restartAfter() int { return cmp.Or(o.RestartAfterRuns, DefaultRestartAfterRuns) }

func (o *Options) memoryLimit() conf.ByteSize { return cmp.Or(o.MemoryLimit, DefaultMemoryLimit) }

func (o *Options) startTimeout() time.Duration {
	return positiveOr(o.StartTimeout, conf.Duration(DefaultStartTimeout)).D()
}

func (o *Options) diagMaxFiles() int { return positiveOr(o.Diagnostics.MaxFiles, DefaultDiagMaxFiles) }

func (o *Options) diagMaxBytes() int64 {
	return int64(positiveOr(o.Diagnostics.MaxBytes, DefaultDiagMaxBytes))
}

// positiveOr is v, or def where v is left at zero or is negative (which
// these options do not take).
func positiveOr[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
