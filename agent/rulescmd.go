package agent

import (
	"fmt"
	"io"
	"strings"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/configs"
	"github.com/sloagent/sloagent/slo"
)

// rulesCmd prints Prometheus recording and alerting rules for the config's
// SLOs over the agents' raw counters, summed across agents, so Prometheus,
// Thanos or Mimir computes one SLO from a fleet.
func rulesCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("rules", stderr)
	file := fs.String("config.file", "", "Config whose SLOs to write rules for (default: the embedded default config).")
	by := fs.String("by", "", "Comma-separated labels to keep when summing across agents (for example location, for one SLO per location).")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	var (
		cfg *config.Config
		err error
	)
	if *file == "" {
		cfg, err = config.Parse("default.yml (embedded)", configs.Default, New(Options{ListenAddress: DefaultListenAddress}).env)
	} else {
		cfg, err = config.LoadFileFor(config.ToCheck, *file, toolEnv)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	var labels []string
	if *by != "" {
		for _, l := range strings.Split(*by, ",") {
			labels = append(labels, strings.TrimSpace(l))
		}
	}
	out, err := slo.Rules(cfg.SLOs, labels...)
	if err != nil {
		return fail(stderr, "sloagent rules", exitFailed, err)
	}
	_, _ = stdout.Write(out)
	return exitOK
}
