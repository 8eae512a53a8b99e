//go:build unix && !linux

package plugins

import "syscall"

// sysProcAttr puts the plugin in its own process group so that killing the
// group also ends whatever the plugin started. There is no parent-death
// signal here; the SDK's parent watch ends an orphaned plugin.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func killGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }
