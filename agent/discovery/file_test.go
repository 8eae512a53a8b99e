package discovery

import (
	"os"
	"path/filepath"
	"testing"
)

// A directory that a file_sd glob matches fails the refresh, naming it.
func TestFileSourceDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sub := filepath.Join(dir, "d.json")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := NewFileSource(FileSDConfig{Files: []string{filepath.Join(dir, "*.json")}}).Refresh(t.Context())
	if err == nil || err.Error() != sub+": not a regular file (a directory), so not read" {
		t.Errorf("error %v", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
