package command

import "syscall"

// sysProcAttr gives the check its own process group, so a timeout kills
// everything it started, and has the kernel kill it if the agent dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
