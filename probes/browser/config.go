package browser

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sloagent/sloagent/internal/conf"
)

// Config is the browser section of a probe: the journey to run.
type Config struct {
	Steps []Step `yaml:"steps"`
}

// Step is one action of a journey, with exactly one action field set.
type Step struct {
	// Name labels the step in metrics, logs and failure messages; it
	// defaults to the action and the step's position, such as click_3.
	Name string `yaml:"name"`
	// Timeout bounds the step; zero leaves only the probe's own timeout.
	Timeout conf.Duration `yaml:"timeout"`

	Navigate    string       `yaml:"navigate"`
	Click       string       `yaml:"click"`
	Type        *TypeAction  `yaml:"type"`
	WaitVisible string       `yaml:"wait_visible"`
	WaitGone    string       `yaml:"wait_gone"`
	AssertText  *AssertText  `yaml:"assert_text"`
	AssertURL   *Match       `yaml:"assert_url"`
	Select      *SelectValue `yaml:"select"`
	Eval        string       `yaml:"eval"`
	Screenshot  string       `yaml:"screenshot"`
}

// TypeAction types text into an element. The text comes from exactly one of
// Text, TextEnv (read at each run) or TextFile (read at each run), and is
// never logged.
type TypeAction struct {
	Selector string      `yaml:"selector"`
	Text     conf.Secret `yaml:"text"`
	TextEnv  string      `yaml:"text_env"`
	TextFile string      `yaml:"text_file"`
}

// Match checks a string: it must contain Contains, or match Regexp (one of
// the two).
type Match struct {
	Contains string      `yaml:"contains"`
	Regexp   conf.Regexp `yaml:"regexp"`
}

// AssertText checks the visible text of the first element matching Selector.
type AssertText struct {
	Selector string `yaml:"selector"`
	Match    `yaml:",inline"`
}

// SelectValue chooses the option with value Value in a select element.
type SelectValue struct {
	Selector string `yaml:"selector"`
	Value    string `yaml:"value"`
}

// action returns the name of the step's action and a short description of
// what it acts on, for messages: ("click", "#login").
func (s *Step) action() (string, string) {
	switch {
	case s.Navigate != "":
		return "navigate", s.Navigate
	case s.Click != "":
		return "click", s.Click
	case s.Type != nil:
		return "type", s.Type.Selector
	case s.WaitVisible != "":
		return "wait_visible", s.WaitVisible
	case s.WaitGone != "":
		return "wait_gone", s.WaitGone
	case s.AssertText != nil:
		return "assert_text", s.AssertText.Selector
	case s.AssertURL != nil:
		return "assert_url", s.AssertURL.describe()
	case s.Select != nil:
		return "select", s.Select.Selector
	case s.Eval != "":
		return "eval", abbreviate(s.Eval, 60)
	case s.Screenshot != "":
		return "screenshot", s.Screenshot
	}
	return "", ""
}

func (s *Step) actions() []string {
	var set []string
	add := func(ok bool, name string) {
		if ok {
			set = append(set, name)
		}
	}
	add(s.Navigate != "", "navigate")
	add(s.Click != "", "click")
	add(s.Type != nil, "type")
	add(s.WaitVisible != "", "wait_visible")
	add(s.WaitGone != "", "wait_gone")
	add(s.AssertText != nil, "assert_text")
	add(s.AssertURL != nil, "assert_url")
	add(s.Select != nil, "select")
	add(s.Eval != "", "eval")
	add(s.Screenshot != "", "screenshot")
	return set
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
			sr.Errorf("", "a step needs one action: navigate, click, type, wait_visible, wait_gone, assert_text, assert_url, select, eval or screenshot")
		case 1:
		default:
			sr.Errorf(acts[1], "a step has exactly one action, and this one also has %s", acts[0])
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
		if len(acts) == 1 {
			s.validateAction(sr)
		}
	}
}

func (s *Step) validateAction(r conf.Report) {
	switch {
	case s.Navigate != "":
		// A relative URL is resolved against the probe's target at New.
	case s.Type != nil:
		t := s.Type
		if t.Selector == "" {
			r.Errorf("type.selector", "is required")
		}
		n := 0
		for _, set := range []bool{t.Text != "", t.TextEnv != "", t.TextFile != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			r.Errorf("type", "set exactly one of text, text_env and text_file")
		}
		if t.TextEnv != "" {
			if _, ok := os.LookupEnv(t.TextEnv); !ok {
				r.Errorf("type.text_env", "environment variable %s is not set", t.TextEnv)
			}
		}
		conf.CheckFile(r, "type.text_file", t.TextFile)
	case s.AssertText != nil:
		if s.AssertText.Selector == "" {
			r.Errorf("assert_text.selector", "is required")
		}
		s.AssertText.Match.validate(r.At("assert_text"))
	case s.AssertURL != nil:
		s.AssertURL.validate(r.At("assert_url"))
	case s.Select != nil:
		if s.Select.Selector == "" {
			r.Errorf("select.selector", "is required")
		}
	case s.Screenshot != "":
		if !validName(s.Screenshot) || strings.ContainsAny(s.Screenshot, " ") {
			r.Errorf("screenshot", "%q: a file name of letters, digits, _ . and -", s.Screenshot)
		}
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

func abbreviate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// text returns what a type step types, read now so that a rotated secret
// file or a changed variable is picked up without a reload.
func (t *TypeAction) text() (string, error) {
	switch {
	case t.TextEnv != "":
		v, ok := os.LookupEnv(t.TextEnv)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", t.TextEnv)
		}
		return v, nil
	case t.TextFile != "":
		s, err := conf.SecretFrom("", t.TextFile)
		return s.Reveal(), err
	}
	return t.Text.Reveal(), nil
}
