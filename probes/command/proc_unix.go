//go:build unix

package command

import (
	"os"
	"syscall"
)

func killGroup(p *os.Process) {
	// The group's id is the check's pid (Setpgid); ESRCH once it is gone.
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}
