//go:build linux

package browser

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// setProcAttr puts Chromium in its own process group, so that Close can kill
// every helper process at once, and asks the kernel to kill it when the agent
// dies, even by SIGKILL. chromedp starts the browser from a goroutine locked
// to its thread until the browser exits, which Pdeathsig needs.
func setProcAttr(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = new(syscall.SysProcAttr)
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

// killTree kills Chromium's process group and then every process left whose
// command line names dir as its profile: helpers can outlive the main
// process, and a helper forked just before a kill may join late, so it looks
// until a few passes in a row find nothing.
func killTree(pgid int, dir string) {
	if pgid > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	quiet := 0
	for pass := 0; pass < 100 && quiet < 3; pass++ {
		if n := killUsing(dir); n == 0 {
			quiet++
		} else {
			quiet = 0
		}
		if pass > 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func killUsing(dir string) int {
	n := 0
	for _, pid := range ProcessesUsing(dir) {
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

// ProcessesUsing lists the live processes (not zombies) that use dir as a
// browser profile: those whose command line has --user-data-dir=dir (the
// browser's main process) and those that hold a file open under dir (its
// helpers do not repeat the flag, and the network service keeps its
// databases there, writing to them until it exits). Tests and the agent's
// own checks use it to prove nothing of a browser is left. Chromium's
// helpers rewrite their command line as one string of space-separated
// arguments, so the flag is looked for between NULs or spaces.
func ProcessesUsing(dir string) []int {
	if dir == "" {
		return nil
	}
	want := []byte("--user-data-dir=" + dir)
	procs, err := procfs.AllProcs()
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, p := range procs {
		if p.PID == self {
			continue
		}
		cmdline := commandLine(p.PID)
		if len(cmdline) == 0 {
			continue // gone, a zombie, or a kernel thread
		}
		if hasArg(cmdline, want) || holdsFileUnder(p, dir) {
			pids = append(pids, p.PID)
		}
	}
	return pids
}

// commandLine is the raw /proc/PID/cmdline, empty for a process that is
// gone, a zombie or a kernel thread. procfs splits it at NULs only, which
// would hide the arguments of a helper that rewrote it with spaces.
func commandLine(pid int) []byte {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return b
}

// holdsFileUnder reports whether process p has a file under dir open.
func holdsFileUnder(p procfs.Proc, dir string) bool {
	targets, err := p.FileDescriptorTargets()
	if err != nil {
		return false
	}
	for _, target := range targets {
		if target == dir || strings.HasPrefix(target, dir+"/") {
			return true
		}
	}
	return false
}

// hasArg reports whether arg is one of the arguments in cmdline, separated
// by NULs or spaces.
func hasArg(cmdline, arg []byte) bool {
	sep := func(c byte) bool { return c == 0 || c == ' ' }
	for i := 0; ; {
		j := bytes.Index(cmdline[i:], arg)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(arg)
		if (start == 0 || sep(cmdline[start-1])) && (end == len(cmdline) || sep(cmdline[end])) {
			return true
		}
		i = start + 1
	}
}

// treeMemory returns the proportional set size of every process in the
// process group pgid: PSS splits shared pages among the processes that map
// them, so Chromium's many helpers are not each charged for the whole
// binary, as RSS would.
func treeMemory(pgid int) int64 {
	var total int64
	for _, p := range groupProcs(pgid) {
		total += processMemory(p)
	}
	return total
}

// treeProcesses lists the processes of process group pgid with their
// type and PSS, the group's leader (the browser's main process) first.
func treeProcesses(pgid int) []Process {
	var out []Process
	for _, p := range groupProcs(pgid) {
		cmdline := commandLine(p.PID)
		if len(cmdline) == 0 {
			continue // gone, or a zombie
		}
		// Helpers rewrite their command line as one string of
		// space-separated arguments.
		args := strings.FieldsFunc(string(cmdline), func(r rune) bool { return r == 0 || r == ' ' })
		proc := Process{PID: p.PID, Type: processType(args), PSSBytes: processMemory(p)}
		if p.PID == pgid {
			out = append([]Process{proc}, out...)
		} else {
			out = append(out, proc)
		}
	}
	return out
}

// groupProcs lists the processes of process group pgid.
func groupProcs(pgid int) []procfs.Proc {
	if pgid <= 0 {
		return nil
	}
	return procsWhere(func(s procfs.ProcStat) bool { return s.PGRP == pgid })
}

// procsWhere lists the processes whose stat satisfies keep.
func procsWhere(keep func(procfs.ProcStat) bool) []procfs.Proc {
	procs, err := procfs.AllProcs()
	if err != nil {
		return nil
	}
	var out []procfs.Proc
	for _, p := range procs {
		if s, err := p.Stat(); err == nil && keep(s) {
			out = append(out, p)
		}
	}
	return out
}

// processMemory is p's proportional set size, from smaps_rollup (or
// smaps on kernels before 4.15), or its resident set where neither can
// be read.
func processMemory(p procfs.Proc) int64 {
	if m, err := p.ProcSMapsRollup(); err == nil {
		return int64(m.Pss)
	}
	s, err := p.Stat()
	if err != nil {
		return 0
	}
	return int64(s.ResidentMemory())
}

// memorySupported reports whether treeMemory measures anything here.
const memorySupported = true

// processStart is the start time of pid in clock ticks since boot (field
// 22 of /proc/pid/stat): with the pid, it names a process even after the
// pid is reused.
func processStart(pid int) string {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return "0"
	}
	s, err := p.Stat()
	if err != nil {
		return "0"
	}
	return strconv.FormatUint(s.Starttime, 10)
}

// processAlive reports whether the process pid that started at start
// still runs.
func processAlive(pid int, start string) bool {
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	return start == "0" || processStart(pid) == start
}
