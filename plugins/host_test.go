package plugins

import (
	"fmt"
	"log/slog"
	"os"
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
