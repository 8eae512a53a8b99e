//go:build linux

package plugins

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// hostMain is the agent stand-in of TestSIGKILLLeavesNoPlugin: it starts the
// plugin, prints its pid and waits to be killed.
func hostMain() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	c := Config{Name: "test", Command: os.Getenv("SLOAGENT_TEST_HOST"), RestartBackoff: conf.Duration(time.Hour)}
	s := NewSupervisor([]Config{c}, log)
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if st := s.Status()[0]; st.State == StateRunning {
			fmt.Println(st.PID)
			select {}
		}
	}
	fmt.Fprintln(os.Stderr, "plugin did not start:", s.Status())
	os.Exit(1)
}

func TestSIGKILLLeavesNoPlugin(t *testing.T) {
	t.Parallel()
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), "SLOAGENT_TEST_HOST="+pluginPath(t, "testplugin"))
	host.Stderr = os.Stderr
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer host.Wait()
	defer host.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("host: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || !alive(pid) {
		t.Fatalf("plugin pid %q: %v", line, err)
	}
	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}
