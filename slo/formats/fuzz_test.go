package formats

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzImport feeds Import mutations of the OpenSLO and sloth files of
// testdata: it must return (no panic, no hang); what it accepts must
// pass validation and marshal into a slos: list.
func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfgs, _, err := Import("fuzz.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Error("an error without a message")
			}
			return
		}
		if err := Validate(cfgs); err != nil {
			t.Errorf("imported SLOs that are not valid: %v", err)
		}
		if _, err := Marshal(cfgs); err != nil {
			t.Errorf("imported SLOs that do not marshal: %v", err)
		}
	})
}
