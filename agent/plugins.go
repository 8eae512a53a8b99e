package agent

import (
	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/internal/expo"
	"github.com/sloagent/sloagent/plugins"
	"github.com/sloagent/sloagent/probes/kinds"
)

// pluginsFor returns the plugin supervisor for cfg: started with the first
// config that declares plugins, updated in place after (plugins whose entry
// did not change keep running).
func (a *Agent) pluginsFor(cfg *config.Config) *plugins.Supervisor {
	if a.plugins == nil {
		if len(cfg.Plugins) == 0 {
			return nil
		}
		a.plugins = newSupervisor(cfg, a)
		return a.plugins
	}
	a.plugins.Update(cfg.Plugins)
	return a.plugins
}

func newSupervisor(cfg *config.Config, a *Agent) *plugins.Supervisor {
	return plugins.NewSupervisor(cfg.Plugins, a.log.With("component", "plugins")).ReserveNames(reservedMetric)
}

// reservedMetric reports whether a metric name is one the agent's series
// have: a plugin may not take it.
func reservedMetric(name string) bool {
	return expo.Reserved(name) || kinds.Family(name) != nil
}
