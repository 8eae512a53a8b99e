package plugins

import "syscall"

// sysProcAttr puts the plugin in its own process group, so that killing the
// group also ends whatever the plugin started, and asks the kernel to kill it
// when the agent dies, even by SIGKILL: go-plugin sets neither.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }
