//go:build unix

package discovery

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe that a file_sd glob matches fails the refresh, naming the
// file, rather than waiting for a writer that never comes.
func TestFileSourceNamedPipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.json"), `[{"targets": ["a:1"]}]`)
	pipe := filepath.Join(dir, "b.json")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Fatal(err)
	}
	src := NewFileSource(FileSDConfig{Files: []string{filepath.Join(dir, "*.json")}})
	done := make(chan error, 1)
	go func() {
		_, err := src.Refresh(t.Context())
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), pipe+": not a regular file (a named pipe)") {
			t.Errorf("error %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Refresh waits on the named pipe")
	}
}
