package discovery

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
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

// A refresh that finds more targets than target_limit fails and keeps the
// last targets, from the first refresh on; a reload that raises the limit
// takes the targets.
func TestTargetLimit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "t.json")
	writeFile(t, path, `[{"targets": ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"]}]`)
	c := FileSDConfig{Files: []string{path}}
	c.ApplyDefaults()
	spec := func(limit int) Spec {
		return Spec{Name: "f", Key: Key(c), Interval: c.RefreshInterval.D(), Limit: limit,
			New: func() (Source, error) { return NewFileSource(c), nil }}
	}
	m := NewManager(slog.New(slog.DiscardHandler), testMetrics(), func() {})
	defer m.Stop()

	m.Update([]Spec{spec(2)})
	const want = "found 3 targets, more than target_limit 2"
	if st := m.Status(); len(m.Targets("f")) != 0 || len(st) != 1 || st[0].Error != want {
		t.Fatalf("over the limit at start: %d targets, status %+v", len(m.Targets("f")), st)
	}
	if v := testutil.ToFloat64(m.metrics.Failing.WithLabelValues("f")); v != 1 {
		t.Errorf("failing %v, want 1", v)
	}

	m.Update([]Spec{spec(3)})
	if st := m.Status(); len(m.Targets("f")) != 3 || st[0].Error != "" {
		t.Fatalf("at the limit: %d targets, status %+v", len(m.Targets("f")), st)
	}

	writeFile(t, path, `[{"targets": ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80"]}]`)
	m.refresh(t.Context(), m.sources["f"])
	if st := m.Status(); len(m.Targets("f")) != 3 || st[0].Error != "found 4 targets, more than target_limit 3" {
		t.Errorf("over the limit later: %d targets, status %+v", len(m.Targets("f")), st)
	}
}
