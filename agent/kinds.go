package agent

import (
	"fmt"

	"github.com/sloagent/sloagent/plugins"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/browser"
	"github.com/sloagent/sloagent/probes/command"
	httpprobe "github.com/sloagent/sloagent/probes/http"
)

// kindDeps are the shared resources that probes of some kinds run on.
type kindDeps struct {
	browser *browser.Browser
	plugins *plugins.Supervisor
}

// build returns the prober for a validated probe config.
func build(p *ProbeConfig, deps kindDeps) (probes.Prober, error) {
	switch p.Kind {
	case KindHTTP:
		return httpprobe.New(p.Target, p.HTTP)
	case KindBrowser:
		return browser.New(deps.browser, p.Target, p.Browser)
	case KindCommand:
		return command.New(p.Target, p.Command)
	case KindPlugin:
		if deps.plugins == nil {
			return nil, fmt.Errorf("plugin probes need the agent's plugin supervisor")
		}
		return deps.plugins.Prober(p.Name, p.Target, p.Plugin)
	}
	return nil, fmt.Errorf("unknown probe kind %q", p.Kind)
}
