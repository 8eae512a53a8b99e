package discovery

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseGroups feeds parseGroups mutations of target files in both
// formats: it must return (no panic, no hang), and what it accepts must
// be targets that are not empty, with names and labels that are text.
func FuzzParseGroups(f *testing.F) {
	for _, s := range []string{
		`[{"targets": ["10.0.0.1:80", "10.0.0.2:80"], "labels": {"dc": "fra"}}]`,
		`[{"targets": ["a:1"]}, {"targets": ["a:1", "b:2"], "labels": {"__meta_x": "y", "team": "shop"}}]`,
		"- targets: [a.example:443]\n  labels: {team: shop}\n- targets:\n    - b.example\n",
		"- targets: &t [a, b]\n- targets: *t\n  labels: {x: \"1\"}\n",
		"[]", "", "---\n", "null", `[{"targets": [""]}]`, `[{"targets": ["a"], "colour": "red"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		gs, err := parseGroups(data)
		if err != nil {
			if err.Error() == "" {
				t.Error("an error without a message")
			}
			return
		}
		for _, tg := range flatten(gs, map[string]string{"__meta_filepath": "t.json"}) {
			if strings.TrimSpace(tg.Address) == "" {
				t.Errorf("an empty target from %q", data)
			}
			if !utf8.ValidString(tg.Address) {
				t.Errorf("target %q is not UTF-8", tg.Address)
			}
			for k, v := range tg.Labels {
				if !utf8.ValidString(k) || !utf8.ValidString(v) {
					t.Errorf("label %q=%q is not UTF-8", k, v)
				}
			}
		}
	})
}
