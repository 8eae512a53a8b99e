package command

import (
	"io/fs"
	"os"
	"syscall"
)

// Windows has no process groups to kill; a timeout kills the check itself,
// and children that hold its output are cut off after outputGrace.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(p *os.Process) { _ = p.Kill() }

func executable(fs.FileInfo) bool { return true }
