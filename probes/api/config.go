package api

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
	httpprobe "github.com/sloagent/sloagent/probes/http"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// Config is the api section of a probe: a sequence of HTTP requests run in
// one run, each with assertions on its response and extractions into
// variables that later steps use as {{name}}.
type Config struct {
	// Variables are available to every step. The probe's target, if
	// any, is {{target}}.
	Variables map[string]string `yaml:"variables,omitempty"`
	// Secrets are variables whose values never show: not in messages,
	// logs or debug output, where they read <secret>.
	Secrets map[string]conf.Secret `yaml:"secrets,omitempty"`
	// SecretFiles are secrets read from files when the config loads.
	SecretFiles map[string]string `yaml:"secret_files,omitempty"`
	Steps       []Step            `yaml:"steps"`

	TLSConfig tlsprobe.Config `yaml:"tls_config,omitempty"`
	// FollowRedirects is true when unset; at most 10 are followed.
	FollowRedirects *bool `yaml:"follow_redirects,omitempty"`
	// BodySizeLimit bounds each response body read, as the http kind's
	// does: 10MiB when unset, none (or 0) for any size.
	BodySizeLimit httpprobe.BodySizeLimit `yaml:"body_size_limit,omitempty"`
}

// Step is one request and what its response must be.
type Step struct {
	// Name identifies the step in messages and in the step label.
	Name    string  `yaml:"name"`
	Request Request `yaml:"request"`
	// Timeout bounds the step within the run's own timeout.
	Timeout    conf.Duration `yaml:"timeout,omitempty"`
	Assertions []Assertion   `yaml:"assertions,omitempty"`
	Extract    []Extraction  `yaml:"extract,omitempty"`
}

// Request is a step's request; its URL, header values and body are
// templates.
type Request struct {
	Method  string            `yaml:"method,omitempty"`
	URL     string            `yaml:"url"`
	Headers httpprobe.Headers `yaml:"headers,omitempty"`
	Body    string            `yaml:"body,omitempty"`
}

// Assertion is one check of a response: exactly one of Status, Header,
// BodyRegexp, BodyNotRegexp, JSONPath, CEL and MaxLatency. Header and
// JSONPath take Equals or Regexp (neither: the header or value must
// exist). A step without a status assertion requires a 2xx status.
type Assertion struct {
	Status        IntList       `yaml:"status,omitempty"`
	Header        string        `yaml:"header,omitempty"`
	BodyRegexp    conf.Regexp   `yaml:"body_regexp,omitempty"`
	BodyNotRegexp conf.Regexp   `yaml:"body_not_regexp,omitempty"`
	JSONPath      string        `yaml:"json_path,omitempty"`
	CEL           string        `yaml:"cel,omitempty"`
	MaxLatency    conf.Duration `yaml:"max_latency,omitempty"`

	// Equals is compared with the header's value or the JSON value's
	// text (a string without quotes, numbers and booleans as JSON
	// writes them); it is a template.
	Equals *string     `yaml:"equals,omitempty"`
	Regexp conf.Regexp `yaml:"regexp,omitempty"`
}

// Extraction sets a variable from a response: exactly one of JSONPath,
// Header, Regexp (on the body; its group Group, or the first group, or
// the whole match) and Cookie. A step fails when an extraction finds
// nothing.
type Extraction struct {
	Name     string      `yaml:"name"`
	JSONPath string      `yaml:"json_path,omitempty"`
	Header   string      `yaml:"header,omitempty"`
	Regexp   conf.Regexp `yaml:"regexp,omitempty"`
	Group    *int        `yaml:"group,omitempty"`
	Cookie   string      `yaml:"cookie,omitempty"`
	// Secret redacts the value everywhere, as secrets are.
	Secret bool `yaml:"secret,omitempty"`
}

// IntList is a list of integers that may be written as one integer.
type IntList []int

// UnmarshalYAML takes 200 or [200, 201].
func (l *IntList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var i int
		if err := n.Decode(&i); err != nil {
			return err
		}
		*l = IntList{i}
		return nil
	}
	var s []int
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// Defaults applied where the config leaves a field zero.
const (
	DefaultMethod = "GET"
	MaxRedirects  = 10
	// TargetVar is the variable holding the probe's target.
	TargetVar = "target"
)

// Validate records every problem of the section in r, with fields relative
// to the section. It checks that every variable a step uses is set by
// then: in variables or secrets, as the target, or by an earlier step.
func (c *Config) Validate(r conf.Report) {
	known := map[string]bool{TargetVar: true}
	for _, name := range slices.Sorted(maps.Keys(c.Variables)) {
		if !varNameRE.MatchString(name) {
			r.At("variables").Errorf(name, "invalid variable name %q: use letters, digits and '_'", name)
		}
		known[name] = true
	}
	for _, m := range []struct {
		field string
		names []string
	}{{"secrets", slices.Sorted(maps.Keys(c.Secrets))}, {"secret_files", slices.Sorted(maps.Keys(c.SecretFiles))}} {
		for _, name := range m.names {
			switch {
			case !varNameRE.MatchString(name):
				r.At(m.field).Errorf(name, "invalid variable name %q: use letters, digits and '_'", name)
			case known[name] && name != TargetVar:
				r.At(m.field).Errorf(name, "variable %q is set twice (variables, secrets, secret_files)", name)
			case name == TargetVar:
				r.At(m.field).Errorf(name, "%q is the probe's target and cannot be set here", name)
			}
			known[name] = true
		}
	}
	if _, ok := c.Variables[TargetVar]; ok {
		r.At("variables").Errorf(TargetVar, "%q is the probe's target and cannot be set here", TargetVar)
	}
	for _, name := range slices.Sorted(maps.Keys(c.SecretFiles)) {
		conf.CheckFile(r.At("secret_files"), name, c.SecretFiles[name])
	}
	if len(c.Steps) == 0 {
		r.Errorf("steps", "an api probe needs at least one step")
	}
	names := map[string]int{}
	for i := range c.Steps {
		sr := r.Index("steps", i)
		s := &c.Steps[i]
		if s.Name == "" {
			sr.Errorf("name", "missing step name")
		} else if j, dup := names[s.Name]; dup {
			sr.Errorf("name", "duplicate step name %q (also steps[%d])", s.Name, j)
		} else {
			names[s.Name] = i
		}
		s.validate(sr, known)
		for _, e := range s.Extract {
			if e.Name != "" && varNameRE.MatchString(e.Name) {
				known[e.Name] = true
			}
		}
	}
	c.TLSConfig.Validate(r.At("tls_config"))
}

func (s *Step) validate(r conf.Report, known map[string]bool) {
	q := &s.Request
	qr := r.At("request")
	if q.Method != "" {
		switch {
		case !httpguts.ValidHeaderFieldName(q.Method):
			qr.Errorf("method", "invalid method %q", q.Method)
		case strings.ToUpper(q.Method) != q.Method:
			qr.Errorf("method", "invalid method %q: methods are case-sensitive, use %q", q.Method, strings.ToUpper(q.Method))
		}
	}
	if q.URL == "" {
		qr.Errorf("url", "missing url")
	} else if t := checkTemplate(qr, "url", q.URL, known); t != nil && t.static() {
		u, err := url.Parse(q.URL)
		switch {
		case err != nil:
			qr.Errorf("url", "invalid URL: %v", strings.TrimPrefix(err.Error(), "parse "))
		case u.Scheme != "http" && u.Scheme != "https":
			qr.Errorf("url", "url %q must be an http:// or https:// URL", q.URL)
		case u.Host == "":
			qr.Errorf("url", "url %q has no host", q.URL)
		}
	}
	for name, v := range q.Headers {
		if !httpguts.ValidHeaderFieldName(name) {
			qr.Errorf("headers", "invalid header name %q", name)
			continue
		}
		checkTemplate(qr.At("headers"), name, v, known)
	}
	checkTemplate(qr, "body", q.Body, known)
	if s.Timeout < 0 {
		r.Errorf("timeout", "must not be negative")
	}
	for i := range s.Assertions {
		s.Assertions[i].validate(r.Index("assertions", i), known)
	}
	for i := range s.Extract {
		s.Extract[i].validate(r.Index("extract", i))
	}
}

// checkTemplate records problems of a template field and returns the
// template if it parsed.
func checkTemplate(r conf.Report, field, s string, known map[string]bool) *template {
	t, err := parseTemplate(s)
	if err != nil {
		r.Errorf(field, "%v", err)
		return nil
	}
	for _, name := range t.vars() {
		if !known[name] {
			r.Errorf(field, "unknown variable %q: not in variables or secrets, and no earlier step extracts it", name)
		}
	}
	return &t
}

func (a *Assertion) validate(r conf.Report, known map[string]bool) {
	kinds := 0
	for _, set := range []bool{len(a.Status) > 0, a.Header != "", a.BodyRegexp.Regexp != nil, a.BodyNotRegexp.Regexp != nil,
		a.JSONPath != "", a.CEL != "", a.MaxLatency != 0} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		r.Errorf("", "an assertion has exactly one of status, header, body_regexp, body_not_regexp, json_path, cel and max_latency")
		return
	}
	if (a.Equals != nil || a.Regexp.Regexp != nil) && a.Header == "" && a.JSONPath == "" {
		r.Errorf("", "equals and regexp go with header or json_path")
	}
	if a.Equals != nil && a.Regexp.Regexp != nil {
		r.Errorf("regexp", "equals and regexp are mutually exclusive")
	}
	for i, code := range a.Status {
		if code < 100 || code > 599 {
			r.Index("status", i).Errorf("", "invalid status code %d (must be 100-599)", code)
		}
	}
	if a.Header != "" && !httpguts.ValidHeaderFieldName(a.Header) {
		r.Errorf("header", "invalid header name %q", a.Header)
	}
	if a.JSONPath != "" {
		if _, err := parseJSONPath(a.JSONPath); err != nil {
			r.Errorf("json_path", "%v", err)
		}
	}
	if a.CEL != "" {
		if _, err := compileCEL(a.CEL); err != nil {
			r.Errorf("cel", "%v", err)
		}
	}
	if a.MaxLatency < 0 {
		r.Errorf("max_latency", "must not be negative")
	}
	if a.Equals != nil {
		checkTemplate(r, "equals", *a.Equals, known)
	}
}

func (e *Extraction) validate(r conf.Report) {
	if e.Name == "" {
		r.Errorf("name", "missing variable name")
	} else if !varNameRE.MatchString(e.Name) {
		r.Errorf("name", "invalid variable name %q: use letters, digits and '_'", e.Name)
	} else if e.Name == TargetVar {
		r.Errorf("name", "%q is the probe's target and cannot be set here", TargetVar)
	}
	kinds := 0
	for _, set := range []bool{e.JSONPath != "", e.Header != "", e.Regexp.Regexp != nil, e.Cookie != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		r.Errorf("", "an extraction has exactly one of json_path, header, regexp and cookie")
	}
	if e.JSONPath != "" {
		if _, err := parseJSONPath(e.JSONPath); err != nil {
			r.Errorf("json_path", "%v", err)
		}
	}
	if e.Header != "" && !httpguts.ValidHeaderFieldName(e.Header) {
		r.Errorf("header", "invalid header name %q", e.Header)
	}
	if e.Group != nil {
		switch {
		case e.Regexp.Regexp == nil:
			r.Errorf("group", "group goes with regexp")
		case *e.Group < 0 || *e.Group > e.Regexp.NumSubexp():
			r.Errorf("group", "regexp %q has no group %d", e.Regexp.String(), *e.Group)
		}
	}
}

// ValidateTarget records a problem with a target that is set but is not
// an http:// or https:// URL (an api probe may have none).
func ValidateTarget(r conf.Report, target string) {
	if target == "" {
		return
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.Errorf("target", "target %q must be an http:// or https:// URL (it is {{target}} in the steps)", target)
	}
}

func quote(s string) string { return strconv.Quote(s) }
