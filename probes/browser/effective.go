package browser

import "github.com/sloagent/sloagent/internal/conf"

// effectiveOptions is Options as they take effect, for the agent's
// /config: defaults filled in, and nothing that is unset.
type effectiveOptions struct {
	ChromiumPath      string        `yaml:"chromium_path,omitempty"`
	MaxConcurrentRuns int           `yaml:"max_concurrent_runs"`
	MaxQueueWait      conf.Duration `yaml:"max_queue_wait"`
	RestartAfterRuns  int           `yaml:"restart_after_runs"`
	MemoryLimit       conf.ByteSize `yaml:"memory_limit"`
	StartTimeout      conf.Duration `yaml:"start_timeout"`
	ExtraFlags        []string      `yaml:"extra_flags,omitempty"`
	Diagnostics       DiagOptions   `yaml:"diagnostics"`
}

// MarshalYAML writes the options as they take effect: a limit left at 0
// shows its default, and a negative one (disabled) as it is.
func (o Options) MarshalYAML() (any, error) {
	return effectiveOptions{
		ChromiumPath:      o.ChromiumPath,
		MaxConcurrentRuns: o.maxConcurrent(),
		MaxQueueWait:      conf.Duration(o.maxQueueWait()),
		RestartAfterRuns:  o.restartAfter(),
		MemoryLimit:       o.memoryLimit(),
		StartTimeout:      conf.Duration(o.startTimeout()),
		ExtraFlags:        o.ExtraFlags,
		Diagnostics:       DiagOptions{MaxFiles: o.diagMaxFiles(), MaxBytes: conf.ByteSize(o.diagMaxBytes())},
	}, nil
}
