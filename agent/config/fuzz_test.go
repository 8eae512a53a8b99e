package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/conf"
)

// FuzzParse feeds Parse mutations of every config in the repository: it
// must return (no panic, no hang), refuse with problems that each say
// something, and a config it accepts must print as /config shows it.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yml", "../../configs/*.yml", "../../internal/conf/testdata/*.yml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	env := func(name string) (string, bool) {
		if name == WebAddressVar {
			return "127.0.0.1:9470", true
		}
		return "value-of-" + name, !strings.HasPrefix(name, "UNSET")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yml", data, env)
		if err != nil {
			var ce *conf.Error
			if !errors.As(err, &ce) {
				t.Fatalf("not a *conf.Error: %v", err)
			}
			for _, p := range ce.Problems {
				if p.Msg == "" {
					t.Errorf("problem without a message: %+v", p)
				}
			}
			return
		}
		if _, err := c.Redacted(); err != nil {
			t.Errorf("a config that loaded does not print: %v", err)
		}
	})
}
