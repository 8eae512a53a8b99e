package conf

import (
	"os"
	"path/filepath"
	"testing"
)

// ReadFile stops one byte past MaxFileSize, so that a huge file is
// refused by size, not read whole.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small, large := filepath.Join(dir, "small.yml"), filepath.Join(dir, "large.yml")
	if err := os.WriteFile(small, []byte("probes: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(large, make([]byte, 2*MaxFileSize), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadFile(small); err != nil || string(data) != "probes: []\n" {
		t.Errorf("small file: %q, %v", data, err)
	}
	if data, err := ReadFile(large); err != nil || len(data) != MaxFileSize+1 {
		t.Errorf("large file: %d bytes, %v; want %d", len(data), err, MaxFileSize+1)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.yml")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}
