//go:build unix

package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// SIGTERM stops the agent at once while a reload waits for its config
// file (here a pipe nobody writes to, as a stalled network filesystem).
func TestSIGTERMDuringSlowReload(t *testing.T) {
	ok, _ := targets(t)
	fifo := filepath.Join(t.TempDir(), "sloagent.yml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() { // the first start reads the config from the pipe
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		fmt.Fprintf(f, "probes:\n  - {name: up, target: %s}\n", ok.URL)
		f.Close()
	}()
	p := startBinary(t, "--config.file="+fifo)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the reload reaches the pipe, and waits
	begin := time.Now()
	p.terminate(t, 20*time.Second)
	t.Logf("stopped %s after SIGTERM", time.Since(begin).Round(time.Millisecond))
}
