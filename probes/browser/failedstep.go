package browser

import (
	"path"

	"github.com/sloagent/sloagent/probes"
)

// FailedStep returns the step a failed browser run stopped at and the
// screenshot taken then (relative to the diagnostics directory), for the
// status page to show the one with the other. Either is empty when the run
// passed, failed before its first step, or could not take the screenshot.
func FailedStep(res probes.Result) (step, screenshot string) {
	for _, s := range res.Samples {
		if s.Name == MetricFailedStep && len(s.Labels) == 1 && s.Value == 1 {
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

// Failure is where a failed journey stopped, for the status page.
type Failure struct {
	// Step is the name of the step the run failed at; empty when it
	// failed before its first step (opening the tab).
	Step string
	// Index is the step's place in the journey, from 1, the navigation to
	// the target that opens a journey counted as a step; Steps is how many
	// the journey has. Both are 0 when the step is not in the probe's
	// journey (it changed since the run).
	Index, Steps int
	// Action and On say what the step does, such as "click" and
	// "#login".
	Action, On string
	// Screenshot is the page when the run failed, relative to the
	// diagnostics directory; empty when none could be taken.
	Screenshot string
}

// FailureOf returns where the failed run res of browser prober p stopped.
// res must have its samples (probe_browser_failed_step names the step).
func FailureOf(p probes.Prober, res probes.Result) Failure {
	var f Failure
	f.Step, f.Screenshot = FailedStep(res)
	bp, ok := p.(*prober)
	if !ok || f.Step == "" {
		return f
	}
	for i, s := range bp.steps {
		if s.name == f.Step {
			f.Index, f.Steps, f.Action, f.On = i+1, len(bp.steps), s.act.name, s.what
		}
	}
	return f
}
