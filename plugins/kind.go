package plugins

import (
	"fmt"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// Kind is the plugin probe kind. Its probers call a plugin of the agent's
// Supervisor, which the agent passes as the Spec's Shared. Which plugins
// exist is the top-level plugins list; that a probe names one of them is
// checked with the rest of the config (see ValidateProbe).
var Kind = probes.NewKind(probes.Definition[ProbeConfig]{
	Name:     "plugin",
	Summary:  "a call to a plugin: a separate executable in any language speaking gRPC, supervised by the agent; its metrics are the plugin's",
	Required: "a plugin probe needs a plugin section naming its plugin",
	Validate: func(_ string, c *ProbeConfig, r conf.Report) { c.Validate(r.At("plugin")) },
	Build: func(s probes.Spec, c *ProbeConfig) (probes.Prober, error) {
		sup, ok := s.Shared.(*Supervisor)
		if !ok {
			return nil, fmt.Errorf("plugin probes need the agent's plugin supervisor")
		}
		return sup.Prober(s.Name, s.Target, c)
	},
	// The agent starts plugins; checking the config does not.
	Check: func(probes.Spec, *ProbeConfig) error { return nil },
	Reasons: []string{
		probes.ReasonPluginUnavailable, probes.ReasonConfig, probes.ReasonTimeout, probes.ReasonDNS,
		probes.ReasonConnect, probes.ReasonTLS, probes.ReasonProtocol, probes.ReasonAssertion,
		probes.ReasonBodyMismatch, probes.ReasonStatusCode, probes.ReasonCanceled, probes.ReasonInternal,
	},
})
