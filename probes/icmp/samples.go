package icmp

import (
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/family"
	"github.com/sloagent/sloagent/probes/internal/netrun"
)

// The series of an icmp run: blackbox_exporter's, with the round-trip
// statistics of several requests under the names Grafana's
// synthetic-monitoring agent gives them, and the packet counts without its
// _count suffix, which Prometheus reserves for histograms and summaries.
var (
	Duration = family.Gauge("probe_icmp_duration_seconds", "Duration of the ICMP probe by phase: resolve, setup (opening the socket), rtt (the mean round trip of the replies).", "phase")
	RTTMin   = family.Gauge("probe_icmp_duration_rtt_min_seconds", "Shortest round trip of the run's replies.")
	RTTMax   = family.Gauge("probe_icmp_duration_rtt_max_seconds", "Longest round trip of the run's replies.")
	RTTStdev = family.Gauge("probe_icmp_duration_rtt_stddev_seconds", "Standard deviation of the round trips of the run's replies.")
	Sent     = family.Gauge("probe_icmp_packets_sent", "Echo requests the run sent.")
	Received = family.Gauge("probe_icmp_packets_received", "Echo replies the run received.")
	Loss     = family.Gauge("probe_icmp_packet_loss_ratio", "Share of the run's echo requests that got no reply.")
	HopLimit = family.Gauge("probe_icmp_reply_hop_limit", "Hop limit (TTL for IPv4) of the first reply.")
)

// Families lists every series an icmp run may report.
var Families = netrun.Families(false, Duration, RTTMin, RTTMax, RTTStdev, Sent, Received, Loss, HopLimit)

var (
	labelsResolve = family.Labels(&Duration, "resolve")
	labelsSetup   = family.Labels(&Duration, "setup")
	labelsRTT     = family.Labels(&Duration, "rtt")
)

func (r *run) Samples() []probes.Sample {
	s := make([]probes.Sample, 0, 11)
	s = append(s,
		family.With(&Duration, r.Resolved.Took.Seconds(), labelsResolve),
		family.With(&Duration, r.setup.Seconds(), labelsSetup),
		family.With(&Duration, r.stats.mean.Seconds(), labelsRTT),
		family.Sample(&RTTMin, r.stats.min.Seconds()),
		family.Sample(&RTTMax, r.stats.max.Seconds()),
		family.Sample(&RTTStdev, r.stats.stddev.Seconds()),
		family.Sample(&Sent, float64(r.sent)),
		family.Sample(&Received, float64(r.received)),
		family.Sample(&Loss, r.loss()),
	)
	if r.hopLimit >= 0 {
		s = append(s, family.Sample(&HopLimit, float64(r.hopLimit)))
	}
	return r.AppendSamples(s)
}
