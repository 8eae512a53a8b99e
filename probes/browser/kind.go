package browser

import (
	"fmt"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// Sample names of browser probes; their help is in Kind.
const (
	MetricStepDuration   = "probe_browser_step_duration_seconds"
	MetricNavigation     = "probe_browser_navigation_seconds"
	MetricWebVital       = "probe_browser_web_vital_seconds"
	MetricCLS            = "probe_browser_cls"
	MetricConsoleErrors  = "probe_browser_console_errors"
	MetricFailedRequests = "probe_browser_failed_requests"
	// MetricWebVitalAvailable says per vital whether the last run measured
	// it, so that a missing value is told apart from a stale one.
	MetricWebVitalAvailable = "probe_browser_web_vital_available"
	// MetricFailedStep names the step the last run failed at.
	MetricFailedStep = "probe_browser_failed_step"
)

// Kind is the browser probe kind. Its probers run on the agent's one
// shared Browser, which the agent passes as the Spec's Shared.
var Kind = probes.NewKind(probes.Definition[Config]{
	Name:    "browser",
	Summary: "a scripted journey in headless Chromium (a fresh browser context per run), with Web Vitals, console errors and a screenshot when it fails",
	Validate: func(target string, c *Config, r conf.Report) {
		if target != "" {
			probes.ValidateURL(r, "target", target)
		} else if len(c.Steps) == 0 || c.Steps[0].Navigate == "" {
			r.Errorf("target", "a browser probe needs a target, or a first step that navigates")
		}
		c.Validate(r.At("browser"))
	},
	RunTimeInputs: (*Config).RunTimeInputs,
	Build: func(s probes.Spec, c *Config) (probes.Prober, error) {
		b, ok := s.Shared.(*Browser)
		if !ok {
			return nil, fmt.Errorf("browser probes need the agent's browser")
		}
		return NewNamed(b, s.Name, s.Target, c)
	},
	Families: []probes.Family{
		{Name: MetricStepDuration, Labels: []string{"step"}, Help: "Duration of each step of the browser journey in the last run."},
		{Name: MetricNavigation, Labels: []string{"phase"},
			Help: "Navigation timing of the last page of the browser journey, from the start of its navigation."},
		{Name: MetricWebVital, Labels: []string{"vital"},
			Help: "Web Vitals of the last page of the browser journey: largest and first contentful paint, and interaction to next paint when the journey interacted."},
		{Name: MetricCLS, Help: "Cumulative layout shift of the last page of the browser journey (a ratio)."},
		{Name: MetricWebVitalAvailable, Labels: []string{"vital"},
			Help: "1 if the Web Vital (lcp, fcp, inp, cls) was measured in the last browser run, 0 if the page did not report it (no paint, no interaction, or the run ended first)."},
		{Name: MetricConsoleErrors, Help: "Console errors and uncaught exceptions in the last browser run, less those ignore_console_errors matches."},
		{Name: MetricFailedRequests, Help: "Requests that failed or got a status of 400 or more in the last browser run."},
		{Name: MetricFailedStep, Labels: []string{"step"},
			Help: "1 for the step the last browser run failed at; absent when it passed or failed before its first step."},
	},
	Reasons: []string{
		probes.ReasonStep, probes.ReasonAssertion, probes.ReasonTimeout, probes.ReasonDNS,
		probes.ReasonConnect, probes.ReasonTLS, probes.ReasonStatusCode,
		probes.ReasonBrowserUnavailable, probes.ReasonCanceled,
	},
})
