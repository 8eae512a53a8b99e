package agent

import (
	"fmt"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/browser"
	httpprobe "github.com/sloagent/sloagent/probes/http"
)

// kindDeps are the shared resources that probes of some kinds run on.
type kindDeps struct {
	browser *browser.Browser
}

// build returns the prober for a validated probe config.
func build(p *ProbeConfig, deps kindDeps) (probes.Prober, error) {
	switch p.Kind {
	case KindHTTP:
		return httpprobe.New(p.Target, p.HTTP)
	case KindBrowser:
		return browser.New(deps.browser, p.Target, p.Browser)
	}
	return nil, fmt.Errorf("unknown probe kind %q", p.Kind)
}
