package tcp

import (
	"github.com/sloagent/sloagent/probes/internal/family"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/netrun"
)

// The phases of a run, as the phase label of probe_tcp_duration_seconds.
const (
	phaseConnect = netrun.PhaseConnect + iota
	phaseTLS
	phaseQuery
)

var phases = netrun.NewPhases(&Duration, []netrun.Phase{netrun.Resolve, netrun.Connect, netrun.TLS,
	phaseQuery: {Name: "query", Doing: "in the query and response dialogue"}})

// The series of a tcp run. probe_failed_due_to_regex and
// probe_failed_due_to_bytes are blackbox_exporter's; probe_tcp_duration_seconds
// is the run's timeline, as probe_http_duration_seconds is an HTTP run's.
var (
	Duration         = family.Gauge("probe_tcp_duration_seconds", "Duration of the TCP probe by phase: resolve, connect, tls (with starttls), query (the query_response dialogue).", "phase")
	FailedDueToRegex = netprobe.FailedDueToRegex
	FailedDueToBytes = family.Gauge("probe_failed_due_to_bytes", "1 if the run failed because expect_bytes did not match, else 0.")
	// ExpectInfo's labels are the ones the probe's query_response
	// entries name; it is reported when an expect with labels matched.
	ExpectInfo = family.Gauge("probe_expect_info", "Values taken from the response by query_response labels; always 1.")
)

// Families lists every series a tcp run may report.
var Families = netrun.Families(true, Duration, FailedDueToRegex, FailedDueToBytes, ExpectInfo)
