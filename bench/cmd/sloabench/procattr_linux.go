package main

import "syscall"

// dieWithParent makes a measured process die with the harness, so an
// interrupted run leaves no agent or exporter behind.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
