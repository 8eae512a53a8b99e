package conf

import (
	"reflect"

	"gopkg.in/yaml.v3"
)

// Sectioned is implemented by config types that have keys besides their
// fields, whose types are known only once the config is decoded: a probe's
// section for its kind. Sections returns those keys with the type each
// decodes into, and unknown keys inside them are found as for fields. The
// type keeps the sections' nodes (an inline map of yaml.Node) and decodes
// them itself with DecodeNode.
type Sectioned interface {
	Sections(n *yaml.Node) map[string]reflect.Type
}

var sectionedType = reflect.TypeFor[Sectioned]()

// sectionsOf returns the extra keys of a mapping decoded into t, or nil.
func sectionsOf(t reflect.Type, n *yaml.Node) map[string]reflect.Type {
	if !t.Implements(sectionedType) {
		return nil
	}
	return reflect.Zero(t).Interface().(Sectioned).Sections(n)
}

// DecodeNode decodes n, a node of the document, into out, as Decode
// decodes the whole: for a Sectioned type's sections once their type is
// known. Unknown keys were found by Decode already.
func (d *Document) DecodeNode(n *yaml.Node, out any) []Problem {
	err := n.Decode(out)
	if err == nil {
		return nil
	}
	te, ok := err.(*yaml.TypeError)
	if !ok {
		return []Problem{fromYAMLError(d, err.Error(), nil)}
	}
	ps := make([]Problem, 0, len(te.Errors))
	seen := map[string]int{}
	for _, s := range te.Errors {
		ps = append(ps, fromYAMLError(d, s, seen))
	}
	return ps
}
