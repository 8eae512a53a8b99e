// Command sloagent is a synthetic monitoring and SLO agent: it probes
// services over HTTP, in a headless browser and through plugins, computes
// SLO error budgets and burn rates, and exports it all to Prometheus.
package main

import (
	"os"

	"github.com/sloagent/sloagent/agent"
	"github.com/sloagent/sloagent/internal/proctree"
)

func main() {
	// The binary is also the keeper of the processes it starts for
	// checks and plugins: started as one, it runs that and exits.
	proctree.Main()
	os.Exit(agent.Main(os.Args[1:], os.Stdout, os.Stderr))
}
