//go:build unix && !linux

package command

import "syscall"

// sysProcAttr gives the check its own process group, so a timeout kills
// everything it started.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
