// Package conf holds what every part of the configuration shares: YAML
// decoding with unknown keys rejected and ${VAR} expanded, value types for
// durations, regular expressions and secrets, and problems that carry the
// file, line and field they are about. All problems of a file are reported at
// once, not just the first.
package conf

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a config file.
type Problem struct {
	Line  int    // 1-based; 0 when unknown
	Field string // path such as probes[2].http.valid_status_codes
	Msg   string
}

func (p Problem) String() string {
	switch {
	case p.Field == "" && p.Line == 0:
		return p.Msg
	case p.Field == "":
		return fmt.Sprintf("%d: %s", p.Line, p.Msg)
	case p.Line == 0:
		return fmt.Sprintf("%s: %s", p.Field, p.Msg)
	}
	return fmt.Sprintf("%d: %s: %s", p.Line, p.Field, p.Msg)
}

// Error is every problem found in one file.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.File)
		b.WriteByte(':')
		b.WriteString(p.String())
	}
	return b.String()
}

// Errors is the problems of a config made of several files, one Error per
// file that has any, in the order the files were read.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap lets errors.As find each file's Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Report collects problems under a field path prefix. The zero Report is not
// usable; start with NewReport.
type Report struct {
	prefix string
	list   *[]Problem
}

// NewReport returns an empty report.
func NewReport() Report { return Report{list: new([]Problem)} }

// At returns a report whose fields are relative to field.
func (r Report) At(field string) Report {
	return Report{prefix: r.path(field), list: r.list}
}

// Index returns a report for element i of the list named field.
func (r Report) Index(field string, i int) Report {
	return r.At(field + "[" + strconv.Itoa(i) + "]")
}

// Errorf records a problem with field (relative to the report's prefix; empty
// for the prefix itself).
func (r Report) Errorf(field, format string, args ...any) {
	*r.list = append(*r.list, Problem{Field: r.path(field), Msg: fmt.Sprintf(format, args...)})
}

// Problems returns what was recorded.
func (r Report) Problems() []Problem { return *r.list }

// Empty reports whether nothing was recorded.
func (r Report) Empty() bool { return len(*r.list) == 0 }

func (r Report) path(field string) string {
	switch {
	case r.prefix == "":
		return field
	case field == "":
		return r.prefix
	case strings.HasPrefix(field, "["):
		return r.prefix + field
	}
	return r.prefix + "." + field
}

// Validator is implemented by config types that check themselves after
// decoding and defaulting.
type Validator interface {
	Validate(r Report)
}

// Document is a parsed YAML file: its node tree locates problems by field.
type Document struct {
	File string
	// Root is the document; nil when the file is not YAML, or when decoding
	// could not go on (the file is too large, its aliases expand too far),
	// so that nothing is validated and reported beyond that.
	Root *yaml.Node

	idx     *lineIndex                  // built at the first error that needs it
	types   map[*yaml.Node]reflect.Type // what each node decodes into
	fromEnv map[string][]envUse         // fields with ${VAR}s: what was put in
	public  []string                    // variables that hold no secret
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Decode parses data into out: ${VAR} is expanded from the environment in
// every scalar (through lookup; nil means the process environment), keys
// that out does not have are problems, and so is every value that does not
// fit its field. It returns the document for Locate and the problems found,
// which already carry lines and fields. A file larger than MaxFileSize, or
// whose aliases add more than MaxAliasNodes nodes, is refused before it is
// decoded.
func Decode(file string, data []byte, out any, lookup func(string) (string, bool)) (*Document, []Problem) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	doc := &Document{File: file}
	if ps := checkSize(len(data)); ps != nil {
		return doc, ps
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return doc, []Problem{fromYAMLError(nil, err.Error(), nil)}
	}
	if root.Kind == 0 { // empty file
		return doc, nil
	}
	if ps := checkAliases(&root); ps != nil {
		return doc, ps
	}
	doc.Root = &root
	r := NewReport()
	doc.fromEnv = map[string][]envUse{}
	expandEnv(&root, "", r, lookup, doc.fromEnv)
	known := newKnownState()
	checkKnown(&root, reflectTypeOf(out), "", known, r)
	doc.types = known.types
	fatal := false
	if err := root.Decode(out); err != nil {
		if te, ok := err.(*yaml.TypeError); ok {
			seen := map[string]int{}
			for _, s := range te.Errors {
				*r.list = append(*r.list, fromYAMLError(doc, s, seen))
			}
		} else {
			// Such as yaml.v3's "excessive aliasing": out is left half
			// decoded, and its validation would only add noise.
			*r.list = append(*r.list, fromYAMLError(doc, err.Error(), nil))
			fatal = true
		}
	}
	ps := doc.Locate(r.Problems())
	if fatal {
		doc.Root = nil
	}
	return doc, ps
}

// fromYAMLError turns one of yaml.v3's messages ("line 3: ...") into a
// problem with its field. seen counts the messages already seen per line,
// to tell apart identical errors on one line.
func fromYAMLError(doc *Document, s string, seen map[string]int) Problem {
	m := lineRE.FindStringSubmatch(s)
	if m == nil {
		return Problem{Msg: strings.TrimPrefix(s, "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	p := Problem{Line: line, Msg: m[2]}
	if doc != nil && doc.Root != nil {
		if doc.idx == nil {
			doc.idx = buildIndex(doc.Root, doc.types)
		}
		nth := 0
		if seen != nil {
			nth = seen[s]
			seen[s]++
		}
		p.Field = doc.idx.field(line, p.Msg, nth)
	}
	return p
}

// Locate fills in the line of every problem from its field path, using the
// closest ancestor present in the file when the field itself is not (a
// default value). Problems come back sorted by line.
func (d *Document) Locate(ps []Problem) []Problem {
	for i := range ps {
		if ps[i].Line == 0 && d.Root != nil {
			ps[i].Line = d.lineOf(ps[i].Field)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	return ps
}

// Err wraps problems in an *Error, or returns nil when there are none.
// The document's secrets are taken out of the messages, which quote
// values: a problem may not print what /config would hide.
func (d *Document) Err(ps []Problem) error {
	if len(ps) == 0 {
		return nil
	}
	r := d.Redactor()
	for i := range ps {
		ps[i].Msg = r.String(ps[i].Msg)
	}
	return &Error{File: d.File, Problems: ps}
}

var segRE = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

func (d *Document) lineOf(path string) int {
	n := d.Root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, m := range segRE.FindAllStringSubmatch(path, -1) {
		var next *yaml.Node
		if m[2] != "" {
			i, _ := strconv.Atoi(m[2])
			if n.Kind == yaml.SequenceNode && i < len(n.Content) {
				next = n.Content[i]
			}
		} else if n.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(n.Content); k += 2 {
				if n.Content[k].Value == m[1] {
					line = n.Content[k].Line
					next = n.Content[k+1]
					break
				}
			}
		}
		if next == nil {
			return line
		}
		n = next
		if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
			line = n.Line
		} else if m[2] != "" {
			line = n.Line
		}
	}
	return line
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var envRE = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} in every scalar value with the variable's value;
// $$ stands for a literal $. A variable that is not set is a problem, not an
// empty string, so that a missing secret is noticed at load time. path is
// n's field; the values put in are added to env under it, for Redactor.
func expandEnv(n *yaml.Node, path string, r Report, lookup func(string) (string, bool), env map[string][]envUse) {
	switch n.Kind {
	case yaml.ScalarNode:
		if strings.Contains(n.Value, "$") && n.Tag != "!!binary" {
			expandScalar(n, path, r, lookup, env)
		}
	case yaml.MappingNode:
		for k := 0; k+1 < len(n.Content); k += 2 {
			p := join(path, n.Content[k].Value)
			expandEnv(n.Content[k], p, r, lookup, env)
			expandEnv(n.Content[k+1], p, r, lookup, env)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			expandEnv(c, path+"["+strconv.Itoa(i)+"]", r, lookup, env)
		}
	default:
		for _, c := range n.Content {
			expandEnv(c, path, r, lookup, env)
		}
	}
}

func expandScalar(n *yaml.Node, path string, r Report, lookup func(string) (string, bool), env map[string][]envUse) {
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
	changed := false
	n.Value = envRE.ReplaceAllStringFunc(n.Value, func(m string) string {
		if m == "$$" {
			changed = true
			return "$"
		}
		name := m[2 : len(m)-1]
		v, ok := lookup(name)
		if !ok {
			*r.list = append(*r.list, Problem{Line: n.Line, Field: path,
				Msg: fmt.Sprintf("environment variable %s is not set", name)})
			return ""
		}
		changed = true
		if v != "" {
			env[path] = append(env[path], envUse{name, v})
		}
		return v
	})
	if changed && !quoted {
		// Keep the value a string after expansion, as it was
		// written: "${PORT}" must not turn into an int by accident
		// unless the field asks for one, which Decode handles.
		n.Style = 0
	}
}
