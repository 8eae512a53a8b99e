package probes

import (
	"fmt"
	"net/url"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// Kind is everything the agent needs to know about one probe kind: the
// config section it reads, how that section is checked, how a prober is
// built from it, and the series its runs report. Each kind's package
// exports one Kind; probes/kinds lists them, and config decoding,
// check-config, the agent, once, the status page and the README's kind table
// read that list. Build one with NewKind.
type Kind struct {
	// Name is the value of a probe's kind key, and the key of the probe's
	// section for this kind.
	Name string
	// Summary says in a few words what the kind probes, for docs and the
	// status page.
	Summary string
	// Families are the series the kind's results carry as Samples, each
	// described once; the exposition takes their help and type from here.
	Families []Family
	// Reasons are the failure reasons the kind adds to the shared ones.
	Reasons []string

	newSection func() any
	required   string
	validate   func(target string, section any, r conf.Report)
	build      func(s Spec) (Prober, error)
	check      func(s Spec) error
	inputs     func(section any) []conf.RunTimeInput
}

// Spec is one configured probe, as a kind builds a prober from it.
type Spec struct {
	Name    string
	Target  string
	Timeout time.Duration
	// Section is the probe's section of its kind: a pointer to the kind's
	// config type, decoded and validated.
	Section any
	// Shared is the resource the agent runs for probes of this kind, if
	// the kind needs one (the browser, the plugin supervisor); nil
	// otherwise.
	Shared any
}

// Definition describes a kind whose section has the config type C.
type Definition[C any] struct {
	Name, Summary string
	// Required, when set, is the message for a probe of the kind that has
	// no section; otherwise such a probe gets a zero C, which means every
	// default.
	Required string
	// Validate checks a probe's target and section. Fields are relative
	// to the probe: "target", and the kind's name for the section.
	Validate func(target string, c *C, r conf.Report)
	// Target is the common case of Validate, used when that is not set:
	// it checks the target, reporting on "target", and the section is
	// checked by its own Validate(conf.Report) method, if it has one.
	Target func(r conf.Report, target string)
	// Build returns the prober of a validated probe.
	Build func(s Spec, c *C) (Prober, error)
	// New is the common case of Build, used when that is not set: the
	// prober needs only the target and the section.
	New func(target string, c *C) (Prober, error)
	// Check, when set, finds at check-config time what validation cannot
	// and a run would (a plugin refusing its settings). Without it,
	// check-config builds the prober and closes it again.
	Check func(s Spec, c *C) error
	// RunTimeInputs, when set, lists what a probe reads at each run rather
	// than when it is built (an environment variable, a file), with fields
	// relative to the section. The config loader requires them present
	// to run the config and warns of absent ones to check it.
	RunTimeInputs func(c *C) []conf.RunTimeInput
	Families      []Family
	Reasons       []string
}

// NewKind makes the Kind of a definition.
func NewKind[C any](d Definition[C]) Kind {
	if d.Validate == nil {
		d.Validate = func(target string, c *C, r conf.Report) {
			if d.Target != nil {
				d.Target(r, target)
			}
			if v, ok := any(c).(interface{ Validate(conf.Report) }); ok {
				v.Validate(r.At(d.Name))
			}
		}
	}
	if d.Build == nil {
		d.Build = func(s Spec, c *C) (Prober, error) { return d.New(s.Target, c) }
	}
	k := Kind{
		Name: d.Name, Summary: d.Summary, Families: d.Families, Reasons: d.Reasons,
		newSection: func() any { return new(C) },
		required:   d.Required,
		validate: func(target string, section any, r conf.Report) {
			d.Validate(target, section.(*C), r)
		},
		build: func(s Spec) (Prober, error) {
			c, ok := s.Section.(*C)
			if !ok {
				return nil, fmt.Errorf("probe %q has no %s section", s.Name, d.Name)
			}
			return d.Build(s, c)
		},
	}
	if d.Check != nil {
		k.check = func(s Spec) error { return d.Check(s, s.Section.(*C)) }
	}
	if d.RunTimeInputs != nil {
		k.inputs = func(section any) []conf.RunTimeInput { return d.RunTimeInputs(section.(*C)) }
	}
	return k
}

// ConnReasons are the reasons of every kind that connects to its target
// itself (timeout, dns, connect, canceled), then more.
func ConnReasons(more ...string) []string {
	return append([]string{ReasonTimeout, ReasonDNS, ReasonConnect, ReasonCanceled}, more...)
}

// RunTimeInputs lists what a probe with section reads at each run, with
// fields relative to the probe (the section under the kind's name).
func (k *Kind) RunTimeInputs(section any) []conf.RunTimeInput {
	if k.inputs == nil || section == nil {
		return nil
	}
	ins := k.inputs(section)
	for i := range ins {
		ins[i].Field = k.Name + "." + ins[i].Field
	}
	return ins
}

// NewSection returns an empty section of the kind, for decoding into.
func (k *Kind) NewSection() any { return k.newSection() }

// Required is the message for a probe without the kind's section, empty
// when the section may be left out.
func (k *Kind) Required() string { return k.required }

// Validate checks a probe's target and its section (a value NewSection
// returned, decoded).
func (k *Kind) Validate(target string, section any, r conf.Report) {
	k.validate(target, section, r)
}

// Build returns the prober of a validated probe.
func (k *Kind) Build(s Spec) (Prober, error) { return k.build(s) }

// Check finds what only building (or asking a plugin) finds, for
// check-config; it releases whatever it built.
func (k *Kind) Check(s Spec) error {
	if k.check != nil {
		return k.check(s)
	}
	p, err := k.build(s)
	if err != nil {
		return err
	}
	if c, ok := p.(Closer); ok {
		_ = c.Close()
	}
	return nil
}

// Family describes one series family once: name, help, type and the label
// names its series have besides the labels of the probe (probe, agent, the
// probe's own labels).
type Family struct {
	Name   string
	Help   string
	Type   MetricType
	Labels []string
}

// MetricType is a family's type in the exposition formats.
type MetricType uint8

// The types a family can have. Samples of a Result are gauges.
const (
	Gauge MetricType = iota
	Counter
	Histogram
)

func (t MetricType) String() string {
	switch t {
	case Counter:
		return "counter"
	case Histogram:
		return "histogram"
	}
	return "gauge"
}

// ValidateURL checks that target is an absolute http:// or https:// URL
// with a host, reporting on field.
func ValidateURL(r conf.Report, field, target string) {
	if target == "" {
		r.Errorf(field, "missing target URL")
		return
	}
	u, err := url.Parse(target)
	if err != nil {
		r.Errorf(field, "invalid URL: %v", err)
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		r.Errorf(field, "target %q must be an http:// or https:// URL", target)
	} else if u.Host == "" {
		r.Errorf(field, "target %q has no host", target)
	}
}

// Undeclared lists the samples that do not match a family of the kind, by
// name or by label names; kinds' tests check their results with it, so
// that what a kind reports is what its families describe.
func (k *Kind) Undeclared(samples []Sample) []string {
	var out []string
	for _, s := range samples {
		f := k.family(s.Name)
		switch {
		case f == nil:
			out = append(out, fmt.Sprintf("%s: no family of kind %s", s.Name, k.Name))
		case !sameLabels(f.Labels, s.Labels):
			out = append(out, fmt.Sprintf("%s: labels %v, the family has %v", s.Name, s.Labels, f.Labels))
		case f.Help == "":
			out = append(out, fmt.Sprintf("%s: the family has no help", s.Name))
		}
	}
	return out
}

func (k *Kind) family(name string) *Family {
	for i := range k.Families {
		if k.Families[i].Name == name {
			return &k.Families[i]
		}
	}
	return nil
}

// sameLabels reports whether ls has exactly the names, in any order.
func sameLabels(names []string, ls []Label) bool {
	if len(names) != len(ls) {
		return false
	}
	for _, l := range ls {
		found := false
		for _, n := range names {
			found = found || n == l.Name
		}
		if !found {
			return false
		}
	}
	return true
}
