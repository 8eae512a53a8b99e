package api

import (
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/family"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// The series of an api run: one of each per step (the step label is the
// step's name), and the earliest expiry of the certificates any step saw.
var (
	StepDuration   = family.Gauge("probe_api_step_duration_seconds", "Duration of each step of the API check (request and response body), 0 for steps that did not run.", "step")
	StepStatusCode = family.Gauge("probe_api_step_status_code", "HTTP status code of each step's response, 0 if there was none.", "step")
	StepSuccess    = family.Gauge("probe_api_step_success", "1 if the step passed, 0 if it failed or did not run.", "step")
)

// Families lists every series an api run may report.
var Families = []probes.Family{StepDuration, StepStatusCode, StepSuccess, tlsprobe.EarliestExpiry}

func (r *run) samples() []probes.Sample {
	s := make([]probes.Sample, 0, 3*len(r.p.steps)+1)
	for i := range r.p.steps {
		res := &r.results[i]
		labels := r.p.steps[i].labels
		ok := 0.0
		if res.ok {
			ok = 1
		}
		s = append(s, family.With(&StepDuration, res.duration.Seconds(), labels), family.With(&StepStatusCode, float64(res.status), labels),
			family.With(&StepSuccess, ok, labels))
	}
	if len(r.peerCerts) > 0 {
		earliest := r.peerCerts[0].NotAfter
		for _, c := range r.peerCerts[1:] {
			if c.NotAfter.Before(earliest) {
				earliest = c.NotAfter
			}
		}
		s = append(s, family.Sample(&tlsprobe.EarliestExpiry, float64(earliest.UnixNano())/1e9))
	}
	return s
}
