package agent

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A config that does not load at start is refused with its reasons, and
// the log does not claim a running config is kept: there is none.
func TestBrokenConfigAtStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(file, []byte("probes:\n  - {name: x, target: ftp://127.0.0.1/}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	err := Serve(context.Background(), Options{ConfigFile: file, ListenAddress: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err == nil {
		t.Fatal("the agent started with a broken config")
	}
	if l := logs.String(); !strings.Contains(l, `msg="config not loaded"`) || strings.Contains(l, "keeping the running config") ||
		!strings.Contains(l, `bad.yml:2: probes[0].target`) {
		t.Errorf("log:\n%s", l)
	}
}
