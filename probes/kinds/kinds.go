// Package kinds lists every probe kind the agent has built in. Adding a kind
// is a package under probes/ that exports its probes.Kind, and one line
// here. agent's TestRegisteredKindNeedsNothingElse holds that true: a kind
// of its own, only added to All, is decoded, checked, run, exposed in every
// format and shown without anything else naming it. Tests of the README and
// of configs/example.yml fail until they describe a new kind.
package kinds

import (
	"github.com/sloagent/sloagent/plugins"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/api"
	"github.com/sloagent/sloagent/probes/browser"
	"github.com/sloagent/sloagent/probes/command"
	"github.com/sloagent/sloagent/probes/dns"
	"github.com/sloagent/sloagent/probes/grpc"
	"github.com/sloagent/sloagent/probes/http"
	"github.com/sloagent/sloagent/probes/icmp"
	"github.com/sloagent/sloagent/probes/tcp"
)

// All are the kinds, in the order docs list them. The first is the default
// of a probe that names no kind.
var All = []*probes.Kind{
	&http.Kind,
	&browser.Kind,
	&plugins.Kind,
	&command.Kind,
	&tcp.Kind,
	&dns.Kind,
	&icmp.Kind,
	&grpc.Kind,
	&api.Kind,
}

// Default is the kind of a probe that names none.
var Default = All[0]

// Lookup returns the kind named name, or nil.
func Lookup(name string) *probes.Kind {
	for _, k := range All {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// Names are the kinds' names, in order.
func Names() []string {
	out := make([]string, len(All))
	for i, k := range All {
		out[i] = k.Name
	}
	return out
}

// Family returns the family a kind describes under name, or nil.
func Family(name string) *probes.Family {
	for _, k := range All {
		for i := range k.Families {
			if k.Families[i].Name == name {
				return &k.Families[i]
			}
		}
	}
	return nil
}
