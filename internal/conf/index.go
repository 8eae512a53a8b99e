package conf

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// lineIndex finds the field a line of the file belongs to, for errors that
// know only their line (yaml.v3's type errors carry no column). It is built
// once per document: looking each error up by walking the whole document
// made a file with 10,000 errors take minutes.
type lineIndex struct {
	lines map[int][]indexEntry
	types map[*yaml.Node]reflect.Type // the Go type a node decodes into, where known
}

// indexEntry is a key, a value or a list item that starts on a line.
type indexEntry struct {
	path  string
	key   *yaml.Node // nil for a list item
	value *yaml.Node
}

func buildIndex(root *yaml.Node, types map[*yaml.Node]reflect.Type) *lineIndex {
	idx := &lineIndex{lines: map[int][]indexEntry{}, types: types}
	add := func(line int, e indexEntry) { idx.lines[line] = append(idx.lines[line], e) }
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for k := 0; k+1 < len(n.Content); k += 2 {
				key, val := n.Content[k], n.Content[k+1]
				p := join(path, key.Value)
				add(key.Line, indexEntry{path: p, key: key, value: val})
				if val.Line != key.Line {
					add(val.Line, indexEntry{path: p, value: val})
				}
				walk(val, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := path + "[" + strconv.Itoa(i) + "]"
				add(c.Line, indexEntry{path: p, value: c})
				walk(c, p)
			}
		}
	}
	walk(root, "")
	return idx
}

var (
	// yaml.v3: "cannot unmarshal !!str `abcdefg...` into int"
	unmarshalRE = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (.*)$")
	// yaml.v3: `mapping key "a" already defined at line 3`
	duplicateRE = regexp.MustCompile(`^mapping key "((?:[^"\\]|\\.)*)" already defined`)
)

// field returns the path of the field an error on line is about. Where the
// line holds several (flow style: {a: 1, b: 2x}), the message tells which:
// the value it quotes, the i-th time the same message is seen on the line
// picking the i-th such value. Otherwise it is the last field starting on
// the line, the deepest.
func (idx *lineIndex) field(line int, msg string, nth int) string {
	es := idx.lines[line]
	if len(es) == 0 {
		return ""
	}
	var match func(e indexEntry) bool
	if m := unmarshalRE.FindStringSubmatch(msg); m != nil {
		tag, v, into := m[1], m[2], m[3]
		match = func(e indexEntry) bool {
			if t, ok := idx.types[e.value]; ok && t.String() != into {
				return false
			}
			switch tag {
			case "!!map":
				return e.value.Kind == yaml.MappingNode
			case "!!seq":
				return e.value.Kind == yaml.SequenceNode
			}
			if e.value.Kind != yaml.ScalarNode {
				return false
			}
			if p, ok := strings.CutSuffix(v, "..."); ok && len(e.value.Value) > 10 {
				return strings.HasPrefix(e.value.Value, p)
			}
			return e.value.Value == v
		}
	} else if m := duplicateRE.FindStringSubmatch(msg); m != nil {
		k, err := strconv.Unquote(`"` + m[1] + `"`)
		match = func(e indexEntry) bool { return err == nil && e.key != nil && e.key.Value == k }
	} else {
		// The agent's own types quote the value they refuse, as %q does.
		match = func(e indexEntry) bool {
			return e.value.Kind == yaml.ScalarNode && e.value.Line == line &&
				strings.Contains(msg, strconv.Quote(e.value.Value))
		}
	}
	seen := 0
	for _, e := range es {
		if match(e) {
			if seen == nth {
				return e.path
			}
			seen++
		}
	}
	return es[len(es)-1].path
}
