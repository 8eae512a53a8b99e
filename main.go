// Command sloagent is a synthetic monitoring and SLO agent: it probes
// services over HTTP, in a headless browser and through plugins, computes
// SLO error budgets and burn rates, and exports it all to Prometheus.
package main

import (
	"os"

	"github.com/sloagent/sloagent/agent"
)

func main() {
	os.Exit(agent.Main(os.Args[1:], os.Stdout, os.Stderr))
}
