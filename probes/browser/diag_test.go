package browser

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDiagnosticsRetention(t *testing.T) {
	dir := t.TempDir()
	b := NewBrowser(Options{Diagnostics: DiagOptions{MaxFiles: 5, MaxBytes: 1000}}, dir, nil)
	// Something else in the directory is never touched.
	if err := os.WriteFile(filepath.Join(dir, "other.txt"), make([]byte, 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	var kept [][]string
	for i := 0; i < 4; i++ {
		d := b.newDiagRun(start.Add(time.Duration(i)*time.Second), "shop/checkout")
		d.write("screenshot.png", make([]byte, 100))
		d.writeJSON("console.json", []ConsoleMessage{{Type: "error", Text: "x"}})
		kept = append(kept, d.finish())
		if d.err != nil {
			t.Fatal(d.err)
		}
	}
	// Two files a run and at most five files: the two newest runs stay.
	runs := runDirs(t, dir)
	if want := []string{filepath.Dir(kept[2][0]), filepath.Dir(kept[3][0])}; !slices.Equal(runs, want) {
		t.Errorf("runs kept %v, want %v", runs, want)
	}
	for _, f := range kept[3] {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "other.txt")); err != nil {
		t.Error(err)
	}

	// A run bigger than the byte limit removes every older run but keeps
	// its own files.
	d := b.newDiagRun(start.Add(time.Minute), "")
	d.write("screenshot.png", make([]byte, 3000))
	files := d.finish()
	if runs := runDirs(t, dir); len(runs) != 1 || runs[0] != filepath.Dir(files[0]) {
		t.Errorf("runs %v after a large run", runs)
	}
}

func runDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), diagPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestNoDiagnosticsDir(t *testing.T) {
	b := NewBrowser(Options{}, "", nil)
	d := b.newDiagRun(time.Now(), "x")
	d.write("screenshot.png", []byte("x"))
	if files := d.finish(); files != nil || d.err != nil {
		t.Errorf("files %v, err %v", files, d.err)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"checkout":              "checkout",
		"shop/checkout EU":      "shop_checkout_EU",
		"..":                    "_.",
		"":                      "",
		strings.Repeat("x", 80): strings.Repeat("x", 64),
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}
