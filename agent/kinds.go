package agent

import (
	"fmt"

	"github.com/sloagent/sloagent/probes"
	httpprobe "github.com/sloagent/sloagent/probes/http"
)

// build returns the prober for a validated probe config.
func (a *Agent) build(p *ProbeConfig) (probes.Prober, error) {
	switch p.Kind {
	case KindHTTP:
		return httpprobe.New(p.Target, p.HTTP)
	}
	return nil, fmt.Errorf("unknown probe kind %q", p.Kind)
}
