package conf

import (
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v) }

// checkKnown reports every mapping key in n that the Go type t has no field
// for. yaml.v3 only checks this when decoding from a stream, and the config is
// decoded from its node tree (after ${VAR} expansion), so the check is done
// here, with the field path of each unknown key.
func checkKnown(n *yaml.Node, t reflect.Type, path string, doc *Document, r Report) {
	if n == nil || t == nil {
		return
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			checkKnown(c, t, path, doc, r)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		checkKnown(n.Alias, t, path, doc, r)
		return
	}
	for t.Kind() == reflect.Pointer {
		if t.Implements(unmarshalerType) {
			return
		}
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		for k, ft := range sectionsOf(t, n) {
			fields[k] = ft
		}
		for k := 0; k+1 < len(n.Content); k += 2 {
			key := n.Content[k].Value
			ft, ok := fields[key]
			if !ok {
				*r.list = append(*r.list, Problem{Line: n.Content[k].Line, Field: join(path, key),
					Msg: "unknown field " + quote(key)})
				continue
			}
			checkKnown(n.Content[k+1], ft, join(path, key), doc, r)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for k := 0; k+1 < len(n.Content); k += 2 {
			checkKnown(n.Content[k+1], t.Elem(), join(path, n.Content[k].Value), doc, r)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			checkKnown(c, t.Elem(), path+"["+itoa(i)+"]", doc, r)
		}
	}
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
