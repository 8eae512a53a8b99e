package browser

import "github.com/sloagent/sloagent/internal/conf"

// effectiveOptions is Options without its MarshalYAML, for the agent's
// /config: the keys are Options' own, so none can be left out, and what is
// unset (no chromium_path, no extra_flags) is not written.
type effectiveOptions Options

// MarshalYAML writes the options as they take effect: a limit left at 0
// shows its default, and a negative one (disabled) as it is.
func (o Options) MarshalYAML() (any, error) {
	e := effectiveOptions(o)
	e.MaxConcurrentRuns = o.maxConcurrent()
	e.MaxQueueWait = conf.Duration(o.maxQueueWait())
	e.RestartAfterRuns = o.restartAfter()
	e.MemoryLimit = o.memoryLimit()
	e.StartTimeout = conf.Duration(o.startTimeout())
	e.Diagnostics = DiagOptions{MaxFiles: o.diagMaxFiles(), MaxBytes: conf.ByteSize(o.diagMaxBytes())}
	return e, nil
}
