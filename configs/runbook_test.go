package configs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoURL is where the README lives for the runbook links of the shipped
// configs.
const repoURL = "https://github.com/sloagent/sloagent#"

// A shipped config's runbook link into the README must land on a section
// that exists, or the first alert a new user gets points nowhere.
func TestRunbookLinksReachReadmeSections(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := readmeAnchors(string(readme))
	files, err := filepath.Glob("*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped configs (%v)", err)
	}
	link := regexp.MustCompile(`runbook_url:\s*(\S+)`)
	found := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			anchor, ok := strings.CutPrefix(m[1], repoURL)
			if !ok {
				continue
			}
			found++
			if !anchors[anchor] {
				t.Errorf("%s: runbook_url %s: the README has no section #%s", f, m[1], anchor)
			}
		}
	}
	if found == 0 {
		t.Error("no shipped config links into the README any more; drop or update this test")
	}
}

// readmeAnchors returns the anchors GitHub gives the README's headings:
// lower case, punctuation other than '-' and '_' dropped, spaces as '-'.
func readmeAnchors(md string) map[string]bool {
	out := map[string]bool{}
	inCode := false
	for line := range strings.Lines(md) {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'):
				b.WriteRune(r)
			}
		}
		out[b.String()] = true
	}
	return out
}
