package browser

import (
	"path"

	"github.com/sloagent/sloagent/probes"
)

// Family describes one series of the samples a browser run returns, once:
// its name, help and the labels its samples carry besides the probe's.
type Family struct {
	Name, Help string
	Labels     []string
}

// The series of a browser probe's results, all gauges of the last run.
var (
	famStep = Family{"probe_browser_step_duration_seconds",
		"Duration of each step of the browser journey in the last run.", []string{"step"}}
	famNavigation = Family{"probe_browser_navigation_seconds",
		"Navigation timing of the last page of the browser journey, from the start of its navigation.", []string{"phase"}}
	famVital = Family{"probe_browser_web_vital_seconds",
		"Web Vitals of the last page of the browser journey: largest and first contentful paint, and interaction to next paint when the journey interacted.", []string{"vital"}}
	famCLS = Family{"probe_browser_cls",
		"Cumulative layout shift of the last page of the browser journey (a ratio).", nil}
	famVitalAvailable = Family{"probe_browser_web_vital_available",
		"1 if the Web Vital (lcp, fcp, inp, cls) was measured in the last run, 0 if the page did not report it (no paint, no interaction, or the run ended first).", []string{"vital"}}
	famConsoleErrors = Family{"probe_browser_console_errors",
		"Console errors and uncaught exceptions in the last browser run, less those ignore_console_errors matches.", nil}
	famFailedRequests = Family{"probe_browser_failed_requests",
		"Requests that failed or got a status of 400 or more in the last browser run.", nil}
	famFailedStep = Family{"probe_browser_failed_step",
		"1 for the step the last browser run failed at; absent when it passed or failed before its first step.", []string{"step"}}
)

// Families lists every series of a browser probe's results, for the
// agent's table of series and its docs.
func Families() []Family {
	return []Family{famStep, famNavigation, famVital, famCLS, famVitalAvailable, famConsoleErrors, famFailedRequests, famFailedStep}
}

// FailedStep returns the step a failed browser run stopped at and the
// screenshot taken then (relative to the diagnostics directory), for the
// status page to show the one with the other. Either is empty when the run
// passed, failed before its first step, or could not take the screenshot.
func FailedStep(res probes.Result) (step, screenshot string) {
	for _, s := range res.Samples {
		if s.Name == famFailedStep.Name && len(s.Labels) == 1 && s.Value == 1 {
			step = s.Labels[0].Value
		}
	}
	for _, d := range res.Diagnostics {
		if path.Base(d) == "screenshot.png" {
			screenshot = d
		}
	}
	return step, screenshot
}
