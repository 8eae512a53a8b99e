package agent

import "github.com/sloagent/sloagent/plugins"

// pluginsFor returns the plugin supervisor for cfg: started with the first
// config that declares plugins, updated in place after (plugins whose entry
// did not change keep running).
func (a *Agent) pluginsFor(cfg *Config) *plugins.Supervisor {
	if a.plugins == nil {
		if len(cfg.Plugins) == 0 {
			return nil
		}
		a.plugins = plugins.NewSupervisor(cfg.Plugins, a.log.With("component", "plugins"))
		return a.plugins
	}
	a.plugins.Update(cfg.Plugins)
	return a.plugins
}
