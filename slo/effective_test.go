package slo

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// /config writes a Config through effectiveConfig: a new key must be there
// too, or /config would leave it out.
func TestEffectiveConfigHasEveryKey(t *testing.T) {
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
	if c, e := keys(Config{}), keys(effectiveConfig{}); !slices.Equal(c, e) {
		t.Errorf("Config has %v, effectiveConfig %v", c, e)
	}
}
