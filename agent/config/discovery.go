package config

import (
	"fmt"
	"hash/fnv"
	"maps"
	"net"
	"regexp"
	"sort"
	"strings"

	"github.com/sloagent/sloagent/agent/discovery"
	"github.com/sloagent/sloagent/internal/conf"
)

// DiscoveryConfig is an entry of the discovery list: a probe template and
// the sources of the targets it is applied to. Each target becomes a probe
// named after the template and the target, with the template's kind,
// section, interval, timeout and labels, and the target's own labels.
type DiscoveryConfig struct {
	// Template is a probe whose name names the probes made from it and
	// whose target, when set, is a pattern: {address} is the discovered
	// target, {host} and {port} its parts ("https://{host}/healthz").
	// Without one the target is the discovered address as it is.
	Template ProbeConfig              `yaml:"template"`
	FileSD   []discovery.FileSDConfig `yaml:"file_sd_configs,omitempty"`
	HTTPSD   []discovery.HTTPSDConfig `yaml:"http_sd_configs,omitempty"`
	DNSSD    []discovery.DNSSDConfig  `yaml:"dns_sd_configs,omitempty"`
	// TargetLimit, when above 0, is the most targets each source may
	// find: a refresh that finds more fails and keeps the last targets.
	TargetLimit int `yaml:"target_limit,omitempty"`
}

// sampleAddress stands for a discovered target when a template is checked
// alone: an address of the documentation range, never probed.
const sampleAddress = "192.0.2.1:80"

func (d *DiscoveryConfig) applyDefaults(a *AgentConfig, empty emptySections) {
	d.Template.applyDefaults(a, empty)
	for i := range d.FileSD {
		d.FileSD[i].ApplyDefaults()
	}
	for i := range d.HTTPSD {
		d.HTTPSD[i].ApplyDefaults()
	}
	for i := range d.DNSSD {
		d.DNSSD[i].ApplyDefaults()
	}
}

func (d *DiscoveryConfig) validate(r conf.Report, c *Config, reserved map[string]bool) {
	t := d.Template
	if t.Name == "" {
		r.At("template").Errorf("name", "missing template name: it names the probes made from the template")
	}
	// The template is checked as a probe of a sample target; the real
	// targets are checked as they come.
	probe := t
	probe.Target = conf.URL(fillTarget(t.Target.Reveal(), sampleAddress))
	tr := conf.NewReport()
	probe.validate(tr, c.Plugins, reserved)
	for _, p := range tr.Problems() {
		if p.Field == "target" && t.Target == "" {
			continue // the discovered addresses are the targets
		}
		if p.Field == "name" && t.Name == "" {
			continue
		}
		r.At("template").Errorf(p.Field, "%s", p.Msg)
	}
	if d.TargetLimit < 0 {
		r.Errorf("target_limit", "target_limit %d is negative: give the most targets a source may find, or 0 for no limit", d.TargetLimit)
	}
	if len(d.FileSD)+len(d.HTTPSD)+len(d.DNSSD) == 0 {
		r.Errorf("", "no source of targets: add file_sd_configs, http_sd_configs or dns_sd_configs")
	}
	for i := range d.FileSD {
		d.FileSD[i].Validate(r.Index("file_sd_configs", i))
	}
	for i := range d.HTTPSD {
		d.HTTPSD[i].Validate(r.Index("http_sd_configs", i))
	}
	for i := range d.DNSSD {
		d.DNSSD[i].Validate(r.Index("dns_sd_configs", i))
	}
}

// Sources are the template's sources, named template/list[i].
func (d *DiscoveryConfig) Sources() []discovery.Spec {
	var out []discovery.Spec
	name := func(list string, i int) string { return fmt.Sprintf("%s/%s[%d]", d.Template.Name, list, i) }
	for i, c := range d.FileSD {
		out = append(out, discovery.Spec{Name: name("file_sd_configs", i), Key: discovery.Key(c), Interval: c.RefreshInterval.D(), Limit: d.TargetLimit,
			New: func() (discovery.Source, error) { return discovery.NewFileSource(c), nil }})
	}
	for i, c := range d.HTTPSD {
		out = append(out, discovery.Spec{Name: name("http_sd_configs", i), Key: discovery.Key(c), Interval: c.RefreshInterval.D(), Limit: d.TargetLimit,
			New: func() (discovery.Source, error) { return discovery.NewHTTPSource(c) }})
	}
	for i, c := range d.DNSSD {
		out = append(out, discovery.Spec{Name: name("dns_sd_configs", i), Key: discovery.Key(c), Interval: c.RefreshInterval.D(), Limit: d.TargetLimit,
			New: func() (discovery.Source, error) { return discovery.NewDNSSource(c), nil }})
	}
	return out
}

// Sources are the sources of every template of the config.
func (c *Config) Sources() []discovery.Spec {
	var out []discovery.Spec
	for i := range c.Discovery {
		out = append(out, c.Discovery[i].Sources()...)
	}
	return out
}

// WithTargets returns the config with a probe for each target that
// targets (by source name, see Sources) holds, after the config's own
// probes; keep, when not nil, picks the probes this agent runs (its
// shard). A target that does not make a valid probe, or whose probe's
// name is taken, is left out and reported in the returned errors.
func (c *Config) WithTargets(targets func(source string) []discovery.Target, keep func(name string) bool) (*Config, []error) {
	out := *c
	out.Probes = append([]ProbeConfig(nil), c.Probes...)
	taken := map[string]bool{}
	for _, p := range c.Probes {
		taken[p.Name] = true
	}
	reserved := reservedLabels()
	var errs []error
	for i := range c.Discovery {
		d := &c.Discovery[i]
		var ts []discovery.Target
		seen := map[string]bool{}
		for _, s := range d.Sources() {
			for _, t := range targets(s.Name) {
				if !seen[t.Address] {
					seen[t.Address] = true
					ts = append(ts, t)
				}
			}
		}
		names := probeNames(d.Template.Name, ts)
		for j, t := range ts {
			p, err := d.probe(names[j], t, c, reserved)
			switch {
			case err != nil:
				errs = append(errs, err)
				continue
			case taken[p.Name]:
				errs = append(errs, fmt.Errorf("template %q: target %q: probe name %q is taken", d.Template.Name, t.Address, p.Name))
				continue
			}
			taken[p.Name] = true
			if keep == nil || keep(p.Name) {
				out.Probes = append(out.Probes, p)
			}
		}
	}
	return &out, errs
}

// probe is the template applied to a target, validated as a probe.
func (d *DiscoveryConfig) probe(name string, t discovery.Target, c *Config, reserved map[string]bool) (ProbeConfig, error) {
	p := d.Template
	p.Name = name
	p.Target = conf.URL(fillTarget(d.Template.Target.Reveal(), t.Address))
	// The target's labels, but for meta labels (which describe where it
	// was found, as Prometheus' relabelling has them); the template's own
	// win, so that a target list cannot move a probe out of the SLOs that
	// select the template's.
	p.Labels = map[string]string{}
	for k, v := range t.Labels {
		if !strings.HasPrefix(k, "__") {
			p.Labels[k] = v
		}
	}
	maps.Copy(p.Labels, d.Template.Labels)
	r := conf.NewReport()
	p.validate(r, c.Plugins, reserved)
	if ps := r.Problems(); len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, pr := range ps {
			msgs[i] = pr.String()
		}
		return p, fmt.Errorf("template %q: target %q: %s", d.Template.Name, t.Address, strings.Join(msgs, "; "))
	}
	return p, nil
}

// fillTarget puts a discovered address into a template's target.
func fillTarget(pattern, addr string) string {
	if pattern == "" {
		return addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 address, as a URL has it
	}
	return strings.NewReplacer("{address}", addr, "{host}", host, "{port}", port).Replace(pattern)
}

var unsafeRE = regexp.MustCompile(`[^A-Za-z0-9_.:-]+`)

// probeNames names the probes of a template's targets: the template's
// name, ':' and the target with its scheme left out and every run of
// characters a probe name cannot have made one '_'. Targets whose names
// would be the same (http://a and https://a) each get a hash of the
// whole target, so the names are unique and stay the same while the
// targets do.
func probeNames(template string, ts []discovery.Target) []string {
	names := make([]string, len(ts))
	count := map[string]int{}
	for i, t := range ts {
		addr := t.Address
		if _, rest, ok := strings.Cut(addr, "://"); ok {
			addr = rest
		}
		names[i] = template + ":" + strings.Trim(unsafeRE.ReplaceAllString(addr, "_"), "_")
		count[names[i]]++
	}
	for i, t := range ts {
		if count[names[i]] > 1 {
			h := fnv.New32a()
			h.Write([]byte(t.Address))
			names[i] = fmt.Sprintf("%s-%08x", names[i], h.Sum32())
		}
	}
	return names
}

// templateProbes are the templates as probes, for what looks at the
// probes a config will have (an SLO's selector).
func (c *Config) templateProbes() []ProbeConfig {
	out := make([]ProbeConfig, len(c.Discovery))
	for i := range c.Discovery {
		out[i] = c.Discovery[i].Template
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
