package plugins

import (
	"os"
	"syscall"
)

// sysProcAttr has nothing to add on Windows; the SDK's parent watch ends an
// orphaned plugin.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
