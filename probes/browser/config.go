package browser

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sloagent/sloagent/internal/clip"
	"github.com/sloagent/sloagent/internal/conf"
)

// Config is the browser section of a probe: the journey to run.
type Config struct {
	Steps []Step `yaml:"steps,omitempty"`
	// AssertNoConsoleErrors fails a run whose pages logged a console
	// error or threw an uncaught exception, once every step passed.
	AssertNoConsoleErrors bool `yaml:"assert_no_console_errors,omitempty"`
	// IgnoreConsoleErrors are regular expressions of console errors that
	// neither fail the run nor count in probe_browser_console_errors.
	IgnoreConsoleErrors []conf.Regexp `yaml:"ignore_console_errors,omitempty"`
}

// Step is one action of a journey, with exactly one action field set.
type Step struct {
	// Name labels the step in metrics, logs and failure messages; it
	// defaults to the action and the step's position, such as click_3.
	Name string `yaml:"name,omitempty"`
	// Timeout bounds the step; zero leaves only the probe's own timeout.
	Timeout conf.Duration `yaml:"timeout,omitempty"`

	Navigate    string       `yaml:"navigate,omitempty"`
	Click       string       `yaml:"click,omitempty"`
	Type        *TypeAction  `yaml:"type,omitempty"`
	WaitVisible string       `yaml:"wait_visible,omitempty"`
	WaitGone    string       `yaml:"wait_gone,omitempty"`
	AssertText  *AssertText  `yaml:"assert_text,omitempty"`
	AssertURL   *Match       `yaml:"assert_url,omitempty"`
	Select      *SelectValue `yaml:"select,omitempty"`
	Eval        string       `yaml:"eval,omitempty"`
	Screenshot  string       `yaml:"screenshot,omitempty"`
	Press       *Press       `yaml:"press,omitempty"`
	Hover       string       `yaml:"hover,omitempty"`
	Upload      *Upload      `yaml:"upload,omitempty"`
	WaitURL     *Match       `yaml:"wait_url,omitempty"`
	SetCookie   *SetCookie   `yaml:"set_cookie,omitempty"`
	SetHeader   *SetHeader   `yaml:"set_header,omitempty"`
}

// Press presses a key, such as Enter, Escape, ArrowDown or a single
// character, in the element matching Selector (focused first) or, without
// one, in whatever has the focus on the page.
type Press struct {
	Key      string `yaml:"key,omitempty"`
	Selector string `yaml:"selector,omitempty"`
}

// Upload sets the file of a file input, as choosing it in the dialog would.
type Upload struct {
	Selector string `yaml:"selector,omitempty"`
	File     string `yaml:"file,omitempty"`
}

// SetCookie adds a cookie to the run's browser context, for the requests
// that follow. Without URL or Domain it is the cookie of the next page the
// journey opens.
type SetCookie struct {
	Name      string      `yaml:"name,omitempty"`
	Value     conf.Secret `yaml:"value,omitempty"`
	ValueEnv  string      `yaml:"value_env,omitempty"`
	ValueFile string      `yaml:"value_file,omitempty"`
	URL       string      `yaml:"url,omitempty"`
	Domain    string      `yaml:"domain,omitempty"`
	Path      string      `yaml:"path,omitempty"`
	Secure    bool        `yaml:"secure,omitempty"`
	HTTPOnly  bool        `yaml:"http_only,omitempty"`
}

// SetHeader adds a header to every request the run's tab sends after it.
type SetHeader struct {
	Name      string      `yaml:"name,omitempty"`
	Value     conf.Secret `yaml:"value,omitempty"`
	ValueEnv  string      `yaml:"value_env,omitempty"`
	ValueFile string      `yaml:"value_file,omitempty"`
}

// TypeAction types text into an element. The text comes from exactly one of
// Text, TextEnv (read at each run) or TextFile (read at each run), and is
// never logged.
type TypeAction struct {
	Selector string      `yaml:"selector,omitempty"`
	Text     conf.Secret `yaml:"text,omitempty"`
	TextEnv  string      `yaml:"text_env,omitempty"`
	TextFile string      `yaml:"text_file,omitempty"`
}

// Match checks a string: it must contain Contains, or match Regexp (one of
// the two).
type Match struct {
	Contains string      `yaml:"contains,omitempty"`
	Regexp   conf.Regexp `yaml:"regexp,omitempty"`
}

// AssertText checks the visible text of the first element matching Selector.
type AssertText struct {
	Selector string `yaml:"selector,omitempty"`
	Match    `yaml:",inline"`
}

// SelectValue chooses the option with value Value in a select element.
type SelectValue struct {
	Selector string `yaml:"selector,omitempty"`
	Value    string `yaml:"value,omitempty"`
}

func (m *Match) describe() string {
	if m.Regexp.Regexp != nil {
		return "regexp " + strconv.Quote(m.Regexp.String())
	}
	return "contains " + strconv.Quote(m.Contains)
}

// stepName is the step's name, or its default.
func stepName(s *Step, i int) string {
	if s.Name != "" {
		return s.Name
	}
	a, _ := s.action()
	return a + "_" + strconv.Itoa(i+1)
}

// Validate checks the section; fields are relative to it, such as
// steps[2].click.
func (c *Config) Validate(r conf.Report) {
	names := map[string]int{}
	for i := range c.Steps {
		s := &c.Steps[i]
		sr := r.Index("steps", i)
		acts := s.actions()
		switch len(acts) {
		case 0:
			sr.Errorf("", "a step needs one action: navigate, click, type, press, hover, select, upload, wait_visible, wait_gone, wait_url, assert_text, assert_url, eval, screenshot, set_cookie or set_header")
		case 1:
		default:
			sr.Errorf(acts[1].name, "a step has exactly one action, and this one also has %s", acts[0].name)
		}
		if s.Timeout < 0 {
			sr.Errorf("timeout", "must not be negative")
		}
		name := stepName(s, i)
		if s.Name != "" && !validName(s.Name) {
			sr.Errorf("name", "%q: use letters, digits, _ . - and spaces", s.Name)
		}
		if j, dup := names[name]; dup {
			sr.Errorf("name", "step name %q is already used by steps[%d]", name, j)
		} else {
			names[name] = i
		}
		if len(acts) == 1 && acts[0].check != nil {
			acts[0].check(s, sr.At(acts[0].name))
		}
	}
	c.validateCookiePages(r)
}

// validateCookiePages checks that a set_cookie without url or domain has a
// page to go to: a later navigate, or, at the start of the journey, the
// probe's target (which New checks).
func (c *Config) validateCookiePages(r conf.Report) {
	leading := true
	for i := range c.Steps {
		s := &c.Steps[i]
		if !s.setsUp() {
			leading = false
		}
		if s.SetCookie == nil || s.SetCookie.URL != "" || s.SetCookie.Domain != "" || leading {
			continue
		}
		later := false
		for j := i + 1; j < len(c.Steps); j++ {
			later = later || c.Steps[j].Navigate != ""
		}
		if !later {
			r.Index("steps", i).Errorf("set_cookie", "set url or domain: no page is opened after it")
		}
	}
}

// RunTimeInputs lists what the steps read at each run (text_env,
// text_file, value_env, value_file), with fields relative to the section: the agent wants them
// present when it loads a config to run it, while check-config and rules
// only warn of absent ones (see conf.RunTimeInput).
func (c *Config) RunTimeInputs() []conf.RunTimeInput {
	var out []conf.RunTimeInput
	add := func(i int, field, env, file string) {
		field = "steps[" + strconv.Itoa(i) + "]." + field
		switch {
		case env != "":
			out = append(out, conf.RunTimeInput{Field: field + "_env", Env: env})
		case file != "":
			out = append(out, conf.RunTimeInput{Field: field + "_file", File: file})
		}
	}
	for i, s := range c.Steps {
		switch {
		case s.Type != nil:
			add(i, "type.text", s.Type.TextEnv, s.Type.TextFile)
		case s.SetCookie != nil:
			add(i, "set_cookie.value", s.SetCookie.ValueEnv, s.SetCookie.ValueFile)
		case s.SetHeader != nil:
			add(i, "set_header.value", s.SetHeader.ValueEnv, s.SetHeader.ValueFile)
		}
	}
	return out
}

func (t *TypeAction) validate(r conf.Report) {
	if t.Selector == "" {
		r.Errorf("selector", "is required")
	}
	validateSecret(r, "text", t.Text, t.TextEnv, t.TextFile)
}

func (a *AssertText) validate(r conf.Report) {
	if a.Selector == "" {
		r.Errorf("selector", "is required")
	}
	a.Match.validate(r)
}

func (s *SelectValue) validate(r conf.Report) {
	if s.Selector == "" {
		r.Errorf("selector", "is required")
	}
}

func validateScreenshot(r conf.Report, name string) {
	if !validName(name) || strings.ContainsAny(name, " ") {
		r.Errorf("", "%q: a file name of letters, digits, _ . and -", name)
	}
}

func (m *Match) validate(r conf.Report) {
	switch hasC, hasR := m.Contains != "", m.Regexp.Regexp != nil; {
	case hasC && hasR:
		r.Errorf("regexp", "set contains or regexp, not both")
	case !hasC && !hasR:
		r.Errorf("", "set contains or regexp")
	}
}

func validName(s string) bool {
	if s == "" || len(s) > 100 || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune("_.- ", c):
		default:
			return false
		}
	}
	return true
}

// abbreviate puts s on one line and cuts it short.
func abbreviate(s string, n int) string {
	return clip.Head(strings.Join(strings.Fields(s), " "), n)
}

// text returns what a type step types, read now so that a rotated secret
// file or a changed variable is picked up without a reload.
func (t *TypeAction) text() (string, error) {
	return readSecret(t.Text, t.TextEnv, t.TextFile)
}

// readSecret returns a value given inline, by an environment variable or
// in a file, read at each run.
func readSecret(inline conf.Secret, env, file string) (string, error) {
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", env)
		}
		return v, nil
	case file != "":
		s, err := conf.SecretFrom("", file)
		return s.Reveal(), err
	}
	return inline.Reveal(), nil
}

// validateSecret checks that exactly one of name, name_env and name_file
// is set, and that the variable or file is there.
func validateSecret(r conf.Report, name string, inline conf.Secret, env, file string) {
	n := 0
	for _, set := range []bool{inline != "", env != "", file != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		r.Errorf("", "set exactly one of %s, %s_env and %s_file", name, name, name)
	}
	// The variable and the file are read at each run: RunTimeInputs.
}
