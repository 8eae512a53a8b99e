package conf

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestExecutable(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		mode os.FileMode
		want bool
	}{{0o755, true}, {0o700, true}, {0o010, true}, {0o644, runtime.GOOS == "windows"}} {
		p := filepath.Join(dir, c.mode.String())
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, c.mode); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := Executable(fi); got != c.want {
			t.Errorf("Executable(%v) = %v, want %v", c.mode, got, c.want)
		}
	}
}
