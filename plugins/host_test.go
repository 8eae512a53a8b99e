package plugins

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/plugins/sdk"
)

// hostMain is the agent stand-in of TestSIGKILLLeavesNoPlugin: it starts the
// plugin, prints its pid and waits to be killed.
func hostMain() {
	if os.Getenv("SLOAGENT_TEST_HOST_RAW") != "" {
		rawHostMain()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	c := Config{Name: "test", Command: os.Getenv("SLOAGENT_TEST_HOST"), RestartBackoff: conf.Duration(time.Hour)}
	if pids := os.Getenv("SLOAGENT_TEST_HOST_PIDS"); pids != "" {
		c.Env = map[string]conf.Secret{"TESTPLUGIN_MODE": "grandchildren", "TESTPLUGIN_PIDS": conf.Secret(pids)}
	}
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

// rawHostMain starts the plugin without the supervisor (so without a
// parent-death signal), as a host on a system without one would: the SDK's
// own parent watch has to end it.
func rawHostMain() {
	cmd := exec.Command(os.Getenv("SLOAGENT_TEST_HOST"))
	cmd.Env = []string{sdk.Handshake.MagicCookieKey + "=" + sdk.Handshake.MagicCookieValue, "PLUGIN_PROTOCOL_VERSIONS=1",
		sdk.AgentPIDEnv + "=" + strconv.Itoa(os.Getpid())}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(cmd.Process.Pid)
	select {}
}
