// Package probes defines the contract between the agent's scheduler and every
// probe kind: a Prober runs once and returns a Result. Probes know nothing of
// scheduling, SLOs or Prometheus registries; what they measure travels in the
// Result and the agent turns it into metrics, SLO events, logs and the status
// page.
package probes

import (
	"context"
	"log/slog"
	"time"
)

// A Prober runs one probe against its configured target. It must return when
// ctx is done (the run's deadline is the probe's timeout) and must not panic
// on any input a target can send. log receives debug detail for
// /probes/<name>/run?debug=true; normal runs pass a logger whose debug level is
// usually disabled, so check log.Enabled before building expensive detail.
type Prober interface {
	Probe(ctx context.Context, log *slog.Logger) Result
}

// ProberFunc adapts a function to the Prober interface.
type ProberFunc func(ctx context.Context, log *slog.Logger) Result

// Probe calls f.
func (f ProberFunc) Probe(ctx context.Context, log *slog.Logger) Result { return f(ctx, log) }

// Closer is implemented by probers that hold resources (a browser context
// pool, a plugin client) to release when the config is replaced or the agent
// stops.
type Closer interface {
	Close() error
}

// Result is the outcome of one run.
type Result struct {
	// Success is true only when every check of the probe passed.
	Success bool
	// Reason is a short, bounded word naming why a failed run failed
	// (one of the Reason constants, or a kind-specific one); empty on success.
	Reason string
	// Message is a human sentence about the failure (or success) for logs
	// and the status page. It must not contain secrets.
	Message string
	// Duration is the time the run took, measured by the probe itself so it
	// excludes scheduling overhead. The agent fills it in if zero.
	Duration time.Duration
	// Samples are the kind-specific gauges of this run, exported under the
	// probe's labels until the next run replaces them.
	Samples []Sample
	// Diagnostics lists files written for this run (screenshots, console
	// logs), relative to the agent's diagnostics directory.
	Diagnostics []string
}

// Sample is one kind-specific gauge value, such as
// probe_http_status_code or probe_http_duration_seconds{phase="connect"}.
type Sample struct {
	Name   string
	Help   string
	Labels []Label
	Value  float64
}

// Label is one extra label of a Sample, besides the probe's own labels.
type Label struct {
	Name, Value string
}

// Failure reasons shared by probe kinds. A kind may add its own, but the set
// must stay small and fixed: reasons are metric label values.
const (
	ReasonTimeout            = "timeout"
	ReasonDNS                = "dns"
	ReasonConnect            = "connect"
	ReasonTLS                = "tls"
	ReasonStatusCode         = "status_code"
	ReasonBodyMismatch       = "body_mismatch"
	ReasonHeaderMismatch     = "header_mismatch"
	ReasonBodyTooLarge       = "body_too_large"
	ReasonRedirects          = "redirects"
	ReasonSSLPolicy          = "ssl_policy"
	ReasonHTTPVersion        = "http_version"
	ReasonProtocol           = "protocol"
	ReasonCanceled           = "canceled"
	ReasonBrowserUnavailable = "browser_unavailable"
	ReasonPluginUnavailable  = "plugin_unavailable"
	ReasonStep               = "step"
	ReasonAssertion          = "assertion"
	ReasonCheckWarning       = "check_warning"
	ReasonCheckCritical      = "check_critical"
	ReasonCheckUnknown       = "check_unknown"
	ReasonInternal           = "internal"
	// ReasonConfig is a run that could not start because the probe's
	// settings are wrong in a way only the run finds (a plugin refusing
	// its settings, a file that went missing).
	ReasonConfig = "config"
)

// Fail returns a failed Result with reason and message.
func Fail(reason, message string) Result {
	return Result{Reason: reason, Message: message}
}
