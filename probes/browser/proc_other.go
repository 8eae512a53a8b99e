//go:build !linux

package browser

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// setProcAttr leaves the command as chromedp sets it up. Elsewhere than
// Linux there is no parent-death signal; chromedp kills the browser when
// its context ends, and Close does that.
func setProcAttr(cmd *exec.Cmd) {}

// killTree kills the main browser process; its helpers end with it.
func killTree(pid int, dir string) {
	if pid <= 0 {
		return
	}
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// ProcessesUsing is only implemented on Linux, where /proc tells.
func ProcessesUsing(dir string) []int { return nil }

func treeMemory(pid int) int64 { return 0 }

func treeProcesses(pid int) []Process { return nil }

const memorySupported = false

func processStart(pid int) string { return "0" }

// processAlive reports whether a process pid runs; on Windows finding it
// opens it, elsewhere signal 0 asks.
func processAlive(pid int, start string) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		p.Release()
		return true
	}
	return p.Signal(syscall.Signal(0)) == nil
}
