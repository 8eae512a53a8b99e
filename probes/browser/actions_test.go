package browser

import (
	"slices"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/conf"
)

// The message for a step without an action lists the actions grouped by
// what they do; it must name each one a step can have, and no other.
func TestNoActionMessageNamesEveryAction(t *testing.T) {
	r := conf.NewReport()
	(&Config{Steps: []Step{{}}}).Validate(r)
	ps := r.Problems()
	if len(ps) == 0 {
		t.Fatal("a step without an action is accepted")
	}
	_, list, ok := strings.Cut(ps[0].Msg, ": ")
	if !ok {
		t.Fatalf("message %q does not list the actions", ps[0].Msg)
	}
	var named []string
	for _, w := range strings.FieldsFunc(list, func(c rune) bool { return c == ',' || c == ' ' }) {
		if w != "or" {
			named = append(named, w)
		}
	}
	var all []string
	for _, a := range stepActions {
		all = append(all, a.name)
	}
	slices.Sort(named)
	slices.Sort(all)
	if !slices.Equal(named, all) {
		t.Errorf("the message names %v, the steps have %v", named, all)
	}
}
