package readme_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Each promise of the README's reliability section names the tests that
// hold the agent to it: each one named must exist in the package named, so
// the table cannot point at a test that was renamed or never written.
func TestReliabilityTestsExist(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "\n## Reliability, and the tests behind it\n")
	if start < 0 {
		t.Fatal("README has no section \"Reliability, and the tests behind it\"")
	}
	section := text[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	group := regexp.MustCompile("`([a-z/]+)`: ([^;|]+)")
	name := regexp.MustCompile("`((?:Test|Fuzz)[A-Za-z0-9_]+)`")
	rows, named := 0, 0
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 4 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "promise" {
			continue
		}
		rows++
		groups := group.FindAllStringSubmatch(cells[2], -1)
		if len(groups) == 0 {
			t.Errorf("promise %q names no package and test", strings.TrimSpace(cells[1]))
		}
		for _, g := range groups {
			pkg, tests := g[1], name.FindAllStringSubmatch(g[2], -1)
			if len(tests) == 0 && strings.TrimSpace(g[2]) != "all" {
				t.Errorf("%s: no test named in %q", pkg, g[2])
			}
			src := packageTests(t, filepath.Join("../..", pkg))
			for _, tn := range tests {
				named++
				if !regexp.MustCompile(`(?m)^func ` + tn[1] + `\(`).MatchString(src) {
					t.Errorf("README names %s in %s, which has no such test", tn[1], pkg)
				}
			}
		}
	}
	if rows < 10 || named < 30 {
		t.Errorf("read %d promises naming %d tests: is the table's format the one this test reads?", rows, named)
	}
}

// packageTests returns the text of the test files of the package in dir.
func packageTests(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Errorf("no test files in %s", dir)
		return ""
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}
