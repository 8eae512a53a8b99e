package command

import (
	"github.com/sloagent/sloagent/probes"
)

// Sample names of command probes; their help is in Kind.
const (
	MetricExitCode    = "probe_command_exit_code"
	MetricPerfdata    = "probe_command_perfdata"
	MetricPerfdataMin = "probe_command_perfdata_min"
	MetricPerfdataMax = "probe_command_perfdata_max"
)

var perfLabels = []string{"label", "uom"}

// Kind is the command probe kind: Nagios and Monitoring Plugins checks.
var Kind = probes.NewKind(probes.Definition[Config]{
	Name:     "command",
	Summary:  "a Nagios or Monitoring Plugins check (any executable following their exit-status convention), its performance data as metrics",
	Required: "a command probe needs a command section with the check's path",
	New:      New,
	Families: []probes.Family{
		{Name: MetricExitCode, Help: "Exit status of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."},
		{Name: MetricPerfdata, Labels: perfLabels, Help: "Performance data of the check, in base units (seconds, bytes, ratios)."},
		{Name: MetricPerfdataMin, Labels: perfLabels, Help: "Minimum of the check's performance data item, as the check declared it."},
		{Name: MetricPerfdataMax, Labels: perfLabels, Help: "Maximum of the check's performance data item, as the check declared it."},
	},
	Reasons: []string{
		probes.ReasonCheckWarning, probes.ReasonCheckCritical, probes.ReasonCheckUnknown,
		probes.ReasonTimeout, probes.ReasonCanceled, probes.ReasonInternal,
	},
})
