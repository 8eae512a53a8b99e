package browser

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// /config writes Options through effectiveOptions: a new option must be
// there too, or /config would leave it out.
func TestEffectiveOptionsHaveEveryOption(t *testing.T) {
	keys := func(v any) []string {
		var out []string
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
			out = append(out, name)
		}
		slices.Sort(out)
		return out
	}
	if o, e := keys(Options{}), keys(effectiveOptions{}); !slices.Equal(o, e) {
		t.Errorf("Options has %v, effectiveOptions %v", o, e)
	}
}
