package api

import (
	"errors"
	"regexp"
	"strings"
)

// A template is text with {{name}} references to variables (spaces inside
// the braces are allowed). It is parsed once, when the config is loaded.
type template struct {
	parts []part
}

type part struct {
	text  string // literal text, or the variable's name when isVar
	isVar bool
}

var varNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var errUnclosed = errors.New(`"{{" without a closing "}}"`)

// parseTemplate splits s into literal text and variable references.
func parseTemplate(s string) (template, error) {
	var t template
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if s != "" {
				t.parts = append(t.parts, part{text: s})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return t, errUnclosed
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		if !varNameRE.MatchString(name) {
			return t, errors.New("invalid variable name " + quote(name) + " in {{...}}: use letters, digits and '_'")
		}
		t.parts = append(t.parts, part{text: name, isVar: true})
		s = s[i+j+2:]
	}
}

// vars lists the variables t refers to.
func (t template) vars() []string {
	var names []string
	for _, p := range t.parts {
		if p.isVar {
			names = append(names, p.text)
		}
	}
	return names
}

// static tells whether t has no variables.
func (t template) static() bool { return len(t.vars()) == 0 }

// render fills in the variables; one that is not set renders empty (the
// config check makes sure each is set by then).
func (t template) render(vars map[string]string) string {
	if len(t.parts) == 1 && !t.parts[0].isVar {
		return t.parts[0].text
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.isVar {
			b.WriteString(vars[p.text])
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String()
}
