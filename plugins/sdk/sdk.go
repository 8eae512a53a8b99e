// Package sdk is what a plugin author imports to write a probe plugin for
// sloagent in Go: implement Prober and call Serve from main. The agent starts
// the plugin binary itself (through hashicorp/go-plugin); running it by hand
// prints a short explanation and exits.
//
//	type check struct{}
//
//	func (check) Probe(ctx context.Context, req sdk.Request) sdk.Response {
//		var s struct{ Port int `json:"port"` }
//		if err := req.Decode(&s); err != nil {
//			return sdk.Fail(sdk.ReasonConfig, "bad settings: %v", err)
//		}
//		...
//		return sdk.OK("answered in %s", took)
//	}
//
//	func main() { sdk.Serve(check{}) }
//
// A panic in Probe is not recovered: the process dies and the agent restarts
// it, which is safer than carrying on in an unknown state.
package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// Prober is the one type a plugin implements. Probe runs one check against
// req.Target and must return by ctx's deadline; the SDK answers "timeout" on
// its behalf if it does not (the late call keeps running in its goroutine,
// so honour ctx).
type Prober interface {
	Probe(ctx context.Context, req Request) Response
}

// Describer may be implemented besides Prober to tell the agent the plugin's
// name, version and settings (shown in the agent's log and status page).
type Describer interface {
	Describe() Info
}

// Info describes a plugin.
type Info struct {
	Name, Version, Description string
	Settings                   []Setting
	// Reasons lists failure reasons the plugin returns besides the shared
	// ones (the Reason constants). Any other reason reaches the agent as
	// "internal".
	Reasons []string
}

// Setting documents one key of a probe's plugin settings.
type Setting struct {
	Name, Description string
	Required          bool
}

// Request is one probe run.
type Request struct {
	// Target is the probe's target as configured.
	Target string
	// Probe is the name of the probe, for logs.
	Probe string
	// Settings is the probe's plugin settings as a JSON object.
	Settings json.RawMessage
	// Deadline is when the run must be over; ctx carries it too.
	Deadline time.Time
	// Log writes to the agent's log under the plugin's name.
	Log *slog.Logger
}

// Decode unmarshals the settings into v; keys v has no field for are an
// error, so a typo in the config is noticed.
func (r Request) Decode(v any) error {
	if len(r.Settings) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(r.Settings))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// Response is the outcome of one run.
type Response struct {
	Success bool
	// Reason is a short word naming why a failed run failed: one of the
	// Reason constants or one listed in Info.Reasons.
	Reason  string
	Message string
	// Duration is how long the check took; zero lets the SDK measure the
	// call to Probe.
	Duration time.Duration
	// Metrics are extra gauges exported under the probe's labels. The agent
	// keeps at most 64 and drops any with an invalid or reserved name.
	Metrics []Metric
}

// Metric is one extra gauge of a run, such as tcp_banner_bytes.
type Metric struct {
	Name, Help string
	Labels     map[string]string
	Value      float64
}

// OK returns a successful response with a formatted message.
func OK(format string, args ...any) Response {
	return Response{Success: true, Message: fmt.Sprintf(format, args...)}
}

// Fail returns a failed response with a reason and a formatted message.
func Fail(reason, format string, args ...any) Response {
	return Response{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Failure reasons shared with the agent's built-in probes: the only ones
// a plugin may return without listing them in Info.Reasons. They are the
// agent's own words, written out here so that the SDK needs nothing of the
// agent's module.
const (
	ReasonTimeout      = "timeout"
	ReasonDNS          = "dns"
	ReasonConnect      = "connect"
	ReasonTLS          = "tls"
	ReasonProtocol     = "protocol"
	ReasonAssertion    = "assertion"
	ReasonBodyMismatch = "body_mismatch"
	ReasonStatusCode   = "status_code"
	ReasonInternal     = "internal"
	ReasonCanceled     = "canceled"
	// ReasonConfig means the probe's settings are wrong.
	ReasonConfig = "config"
)

// SharedReasons returns the shared reasons, for a plugin that checks a
// reason before returning it.
func SharedReasons() []string {
	return []string{
		ReasonTimeout, ReasonDNS, ReasonConnect, ReasonTLS, ReasonProtocol, ReasonAssertion,
		ReasonBodyMismatch, ReasonStatusCode, ReasonInternal, ReasonCanceled, ReasonConfig,
	}
}
