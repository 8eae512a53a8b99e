package testutil

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sloagent/sloagent/internal/conf"
)

// LoadConfig decodes testdata/name into v as the agent decodes a config
// file, lets check default and validate it, and returns its problems as
// the agent reports them (file, line, field), nil if none.
func LoadConfig(t testing.TB, name string, v any, check func(r conf.Report)) error {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	doc, problems := conf.Decode(name, data, v, nil)
	r := conf.NewReport()
	check(r)
	return doc.Err(doc.Locate(append(problems, r.Problems()...)))
}
