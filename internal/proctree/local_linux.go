package proctree

import "syscall"

// localAttr gives the process its own group and has the kernel kill it when
// this process dies, even by SIGKILL.
func localAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
