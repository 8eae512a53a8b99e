package api

import (
	"errors"
	"net/url"
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
	// escape, when set, encodes the variable's value for where it
	// stands in a URL.
	escape func(string) string
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
		switch {
		case p.isVar && p.escape != nil:
			b.WriteString(p.escape(vars[p.text]))
		case p.isVar:
			b.WriteString(vars[p.text])
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}

// A urlPart is where in a URL a variable stands.
type urlPart int

const (
	inHost urlPart = iota // the scheme and host, or the whole URL
	inPath
	inQuery
	inFragment
)

// escape returns how a value standing at is encoded. Before the path a
// value is a URL itself (most often the whole target, as
// "{{target}}/path") and goes in as it is. A fragment is never sent;
// escaped as a path segment, a space in it reads back as a space (a
// query's '+' would not).
func (at urlPart) escape() func(string) string {
	switch at {
	case inPath, inFragment:
		return url.PathEscape
	case inQuery:
		return url.QueryEscape
	}
	return nil
}

// parseURLTemplate parses a URL template whose variables are escaped by
// where they stand, so that a value is one path segment, query component
// or fragment whatever it holds (a space, '&', '/', '#', non-ASCII).
// Where a variable stands is told by the literal text before it: a value
// never moves the URL on to its next part.
func parseURLTemplate(s string) (template, error) {
	t, err := parseTemplate(s)
	if err != nil {
		return t, err
	}
	at := inHost
	for i := range t.parts {
		p := &t.parts[i]
		if p.isVar {
			p.escape = at.escape()
			continue
		}
		at = at.after(p.text)
	}
	return t, nil
}

// after returns where the URL is after the literal text lit.
func (at urlPart) after(lit string) urlPart {
	for i := 0; i < len(lit); i++ {
		switch c := lit[i]; {
		case at == inHost && c == ':' && strings.HasPrefix(lit[i+1:], "//"):
			i += 2 // the scheme's "://": the host follows
		case at == inHost && c == '/':
			at = inPath
		case at < inQuery && c == '?':
			at = inQuery
		case c == '#':
			return inFragment
		}
	}
	return at
}
