// Package http probes HTTP and HTTPS endpoints.
package http

import (
	"context"
	"log/slog"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// Config is the http section of a probe.
type Config struct{}

// Validate checks the section.
func (c *Config) Validate(r conf.Report) {}

// New returns a prober for target.
func New(target string, c *Config) (probes.Prober, error) {
	return probes.ProberFunc(func(ctx context.Context, log *slog.Logger) probes.Result {
		return probes.Fail(probes.ReasonInternal, "not built yet")
	}), nil
}
