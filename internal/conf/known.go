package conf

import (
	"maps"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v) }

// knownState is what checkKnown keeps across one document.
type knownState struct {
	// fields of each struct type, by YAML name.
	fields map[reflect.Type]map[string]reflect.Type
	// aliased holds the anchored nodes already checked as a type: an
	// anchor used a thousand times is checked, and its unknown keys are
	// reported, once.
	aliased map[aliasUse]bool
	// types records the Go type each node decodes into, which tells
	// which of the nodes on a line a yaml.v3 error is about.
	types map[*yaml.Node]reflect.Type
}

type aliasUse struct {
	n *yaml.Node
	t reflect.Type
}

func newKnownState() *knownState {
	return &knownState{fields: map[reflect.Type]map[string]reflect.Type{}, aliased: map[aliasUse]bool{},
		types: map[*yaml.Node]reflect.Type{}}
}

func (s *knownState) fieldsOf(t reflect.Type) map[string]reflect.Type {
	f, ok := s.fields[t]
	if !ok {
		f = map[string]reflect.Type{}
		collectFields(t, f)
		s.fields[t] = f
	}
	return f
}

// checkKnown reports every mapping key in n that the Go type t has no field
// for. yaml.v3 only checks this when decoding from a stream, and the config is
// decoded from its node tree (after ${VAR} expansion), so the check is done
// here, with the field path of each unknown key.
func checkKnown(n *yaml.Node, t reflect.Type, path string, s *knownState, r Report) {
	if n == nil || t == nil {
		return
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			checkKnown(c, t, path, s, r)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		use := aliasUse{n.Alias, t}
		if !s.aliased[use] {
			s.aliased[use] = true
			checkKnown(n.Alias, t, path, s, r)
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		if t.Implements(unmarshalerType) {
			return
		}
		t = t.Elem()
	}
	s.types[n] = t
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := s.fieldsOf(t)
		if sections := sectionsOf(t, n); len(sections) > 0 {
			fields = maps.Clone(fields)
			for k, ft := range sections {
				fields[k] = ft
			}
		}
		for k := 0; k+1 < len(n.Content); k += 2 {
			key := n.Content[k].Value
			if key == "<<" && n.Content[k].Tag == "!!merge" {
				checkMerged(n.Content[k+1], t, path, s, r)
				continue
			}
			ft, ok := fields[key]
			if !ok {
				*r.list = append(*r.list, Problem{Line: n.Content[k].Line, Field: join(path, key),
					Msg: "unknown field " + quote(key)})
				continue
			}
			checkKnown(n.Content[k+1], ft, join(path, key), s, r)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for k := 0; k+1 < len(n.Content); k += 2 {
			checkKnown(n.Content[k+1], t.Elem(), join(path, n.Content[k].Value), s, r)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			checkKnown(c, t.Elem(), path+"["+itoa(i)+"]", s, r)
		}
	}
}

// checkMerged checks the mappings merged in by a "<<" key (an alias, or a
// list of them) as part of the mapping they are merged into.
func checkMerged(n *yaml.Node, t reflect.Type, path string, s *knownState, r Report) {
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			checkKnown(c, t, path, s, r)
		}
		return
	}
	checkKnown(n, t, path, s, r)
}

func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, into)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		into[name] = f.Type
	}
}
