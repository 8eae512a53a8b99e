package config

import (
	"fmt"
	"reflect"
	"regexp"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/plugins"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/kinds"
	"github.com/sloagent/sloagent/slo"
)

// ProbeConfig is one entry of the probes list: what every probe has, and
// the section of its kind (http, browser, ...), whose type the kind
// decides (see probes/kinds).
type ProbeConfig struct {
	Name     string            `yaml:"name"`
	Kind     string            `yaml:"kind,omitempty"`
	Target   conf.URL          `yaml:"target,omitempty"`
	Interval conf.Duration     `yaml:"interval,omitempty"`
	Timeout  conf.Duration     `yaml:"timeout,omitempty"`
	Labels   map[string]string `yaml:"labels,omitempty"`
	// Alert is the probe's own alert (for a probe that no SLO counts):
	// it fires after failed runs in a row.
	Alert *slo.ProbeAlertConfig `yaml:"alert,omitempty"`

	// Section is the probe's section for its kind: a pointer to the
	// kind's config type. A kind whose section may be left out gets an
	// empty one, which means its defaults.
	Section any `yaml:"-"`

	// Raw holds the kind sections as the file has them, until Parse
	// decodes the one of the probe's kind into Section.
	Raw map[string]yaml.Node `yaml:",inline"`
}

// plainProbe is a ProbeConfig without its methods, for writing its own
// fields back out.
type plainProbe ProbeConfig

// Sections tells config decoding that every kind's name is a key of a
// probe, holding that kind's section type (conf.Sectioned), so that
// unknown keys inside a section are found with their lines.
func (ProbeConfig) Sections(*yaml.Node) map[string]reflect.Type {
	out := make(map[string]reflect.Type, len(kinds.All))
	for _, k := range kinds.All {
		out[k.Name] = reflect.TypeOf(k.NewSection())
	}
	return out
}

// decodeSection decodes the section of the probe's kind from Raw.
func (p *ProbeConfig) decodeSection(doc *conf.Document) []conf.Problem {
	k := kinds.Lookup(p.kindName())
	if k == nil {
		return nil
	}
	n, ok := p.Raw[k.Name]
	if !ok {
		return nil
	}
	p.Section = k.NewSection()
	return doc.DecodeNode(&n, p.Section)
}

func (p *ProbeConfig) kindName() string {
	if p.Kind == "" {
		return kinds.Default.Name
	}
	return p.Kind
}

// MarshalYAML writes the common fields and the probe's section under its
// kind's key, as the file has them.
func (p ProbeConfig) MarshalYAML() (any, error) {
	var n yaml.Node
	plain := plainProbe(p)
	plain.Raw = nil
	if err := n.Encode(plain); err != nil {
		return nil, err
	}
	if p.Section != nil {
		var sec yaml.Node
		if err := sec.Encode(p.Section); err != nil {
			return nil, err
		}
		if !(sec.Kind == yaml.MappingNode && len(sec.Content) == 0) {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p.Kind}, &sec)
		}
	}
	return &n, nil
}

// KindOf returns the probe's kind; nil for a kind that does not exist
// (which validation reports).
func (p *ProbeConfig) KindOf() *probes.Kind { return kinds.Lookup(p.Kind) }

// Spec is the probe as its kind builds a prober from it.
func (p *ProbeConfig) Spec(shared any) probes.Spec {
	return probes.Spec{Name: p.Name, Target: p.Target.Reveal(), Timeout: p.Timeout.D(), Section: p.Section, Shared: shared}
}

var probeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)

// emptySections holds, by kind, the one empty section that every probe of
// a config without a section of its kind shares. Sections are read-only
// once decoded, and a kind builds from a shared section once (the http
// kind's transport, client and checks), where a section each cost a
// few hundred bytes and a setup each a probe.
type emptySections map[string]any

func (e emptySections) of(k *probes.Kind) any {
	s, ok := e[k.Name]
	if !ok {
		s = k.NewSection()
		e[k.Name] = s
	}
	return s
}

func (p *ProbeConfig) applyDefaults(a *AgentConfig, empty emptySections) {
	if p.Kind == "" {
		p.Kind = kinds.Default.Name
	}
	if p.Alert != nil {
		p.Alert.ApplyDefaults()
	}
	if p.Interval == 0 {
		p.Interval = a.DefaultInterval
	}
	if p.Timeout == 0 {
		p.Timeout = a.DefaultTimeout
		if p.Timeout == 0 {
			// Leave a fifth of the interval free so a slow run
			// ends before the next one is due.
			p.Timeout = conf.Duration(min(DefaultTimeout, p.Interval.D()*4/5))
		}
	}
	if k := p.KindOf(); k != nil && p.Section == nil && k.Required() == "" {
		p.Section = empty.of(k)
	}
}

func (p *ProbeConfig) validate(r conf.Report, plugs []plugins.Config, reserved map[string]bool) {
	if p.Alert != nil {
		p.Alert.Validate(r.At("alert"))
	}
	switch {
	case p.Name == "":
		r.Errorf("name", "missing probe name")
	case !probeNameRE.MatchString(p.Name):
		r.Errorf("name", "invalid probe name %q: use letters, digits, '_', '.', ':' and '-'", p.Name)
	}
	if p.Interval <= 0 {
		r.Errorf("interval", "must be positive")
	}
	switch {
	case p.Timeout <= 0:
		r.Errorf("timeout", "must be positive")
	case p.Timeout >= p.Interval:
		r.Errorf("timeout", "timeout %s must be shorter than interval %s", p.Timeout, p.Interval)
	}
	validateLabels(r.At("labels"), p.Labels, reserved)
	for _, k := range kinds.All {
		if _, ok := p.Raw[k.Name]; ok && k.Name != p.Kind {
			r.Errorf(k.Name, "section %q does not apply to a probe of kind %q", k.Name, p.Kind)
		}
	}
	k := p.KindOf()
	if k == nil {
		r.Errorf("kind", "unknown probe kind %q (known: %s)", p.Kind, joinNames(kinds.Names()))
		return
	}
	if p.Section == nil {
		r.Errorf(k.Name, "%s", k.Required())
		return
	}
	k.Validate(p.Target.Reveal(), p.Section, r)
	if pc, ok := p.Section.(*plugins.ProbeConfig); ok && pc.Name != "" {
		// Which plugins there are is the top-level plugins list.
		plugins.CheckDeclared(plugs, pc, r.At(k.Name))
	}
}

func joinNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// String names the probe in messages.
func (p *ProbeConfig) String() string { return fmt.Sprintf("probe %q", p.Name) }
