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
