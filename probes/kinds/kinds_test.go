package kinds

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/probes"
)

// Every kind is in the README's table of kinds, with its summary, and the
// table lists no kind that does not exist.
func TestREADMEListsEveryKind(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "### Probe kinds")
	if i < 0 {
		t.Fatal(`README.md has no "### Probe kinds" section`)
	}
	section := readme[i:]
	if j := strings.Index(section[3:], "\n#"); j >= 0 {
		section = section[:j+3]
	}
	rows := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9_]+)` \\| (.*) \\|$").FindAllStringSubmatch(section, -1) {
		rows[m[1]] = m[2]
	}
	for _, k := range All {
		summary, ok := rows[k.Name]
		switch {
		case !ok:
			t.Errorf("kind %s is missing from the README's table of kinds", k.Name)
		case summary != k.Summary:
			t.Errorf("kind %s: the README says %q, the kind's summary is %q", k.Name, summary, k.Summary)
		}
		delete(rows, k.Name)
	}
	for name := range rows {
		t.Errorf("the README's table lists kind %s, which does not exist", name)
	}
}

// configs/example.yml, which users copy, shows a probe of every kind (the
// default kind may leave kind out; a kind whose probes need an executable
// of the user's may be shown commented out).
func TestExampleConfigShowsEveryKind(t *testing.T) {
	b, err := os.ReadFile("../../configs/example.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Probes []map[string]any `yaml:"probes"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	for _, p := range doc.Probes {
		kind, _ := p["kind"].(string)
		if kind == "" {
			kind = Default.Name
		}
		shown[kind] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*#\s+kind: ([a-z0-9_]+)\s*$`).FindAllStringSubmatch(string(b), -1) {
		shown[m[1]] = true
	}
	for _, k := range All {
		if !shown[k.Name] {
			t.Errorf("configs/example.yml has no probe of kind %s", k.Name)
		}
	}
}

// Kinds have unique names, families of unique names, and summaries.
func TestKindsAreWellFormed(t *testing.T) {
	type decl struct {
		kind string
		f    probes.Family
	}
	names, families := map[string]bool{}, map[string]decl{}
	for _, k := range All {
		if names[k.Name] || k.Name == "" || k.Summary == "" {
			t.Errorf("kind %q: duplicate or empty name, or no summary", k.Name)
		}
		names[k.Name] = true
		for _, f := range k.Families {
			// Kinds that report the same series (probe_ip_protocol,
			// the certificate series) declare it the same way: the
			// exposition has one family of a name.
			if other, dup := families[f.Name]; dup && !sameFamily(other.f, f) {
				t.Errorf("family %s is declared differently by kinds %s and %s:\n%+v\n%+v", f.Name, other.kind, k.Name, other.f, f)
			}
			families[f.Name] = decl{k.Name, f}
			if f.Help == "" {
				t.Errorf("family %s of kind %s has no help", f.Name, k.Name)
			}
		}
		if Lookup(k.Name) != k {
			t.Errorf("Lookup(%q) does not find the kind", k.Name)
		}
	}
}

func sameFamily(a, b probes.Family) bool {
	if a.Name != b.Name || a.Help != b.Help || a.Type != b.Type || len(a.Labels) != len(b.Labels) {
		return false
	}
	for i := range a.Labels {
		if a.Labels[i] != b.Labels[i] {
			return false
		}
	}
	return true
}
