package dns

import (
	"github.com/sloagent/sloagent/probes/internal/family"
	"github.com/sloagent/sloagent/probes/internal/netrun"
)

// The phases of a run, as blackbox_exporter names them.
// The connect phase includes the TLS handshake, over TLS.
const (
	phaseConnect = netrun.PhaseConnect + iota
	phaseRequest
)

var phases = netrun.NewPhases(&Duration, []netrun.Phase{
	{Name: "resolve", Doing: "resolving the server's name"}, netrun.Connect,
	phaseRequest: {Name: "request", Doing: "waiting for the response"}})

// The series of a dns run, blackbox_exporter's.
var (
	Duration       = family.Gauge("probe_dns_duration_seconds", "Duration of the DNS query by phase: resolve (the server's name), connect, request.", "phase")
	AnswerRRs      = family.Gauge("probe_dns_answer_rrs", "Number of records in the answer section of the response.")
	AuthorityRRs   = family.Gauge("probe_dns_authority_rrs", "Number of records in the authority section of the response.")
	AdditionalRRs  = family.Gauge("probe_dns_additional_rrs", "Number of records in the additional section of the response.")
	QuerySucceeded = family.Gauge("probe_dns_query_succeeded", "1 if the server answered the query (whatever the answer), else 0.")
	Serial         = family.Gauge("probe_dns_serial", "Serial of the zone, from the SOA record of the answer (0 without one); only for query_type SOA.")
)

// Families lists every series a dns run may report (the TLS ones over TLS).
var Families = netrun.Families(true, Duration, AnswerRRs, AuthorityRRs, AdditionalRRs, QuerySucceeded, Serial)
