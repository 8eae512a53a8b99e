// Package proc reads Linux processes' CPU time and memory from /proc, so
// the benchmark charges each system for its own process (or its own tree
// of processes) only. prometheus/procfs parses the files.
package proc

import (
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// userHZ is the unit of the times in /proc/PID/stat. The kernel exports it
// as 100 on every architecture Go supports, whatever CONFIG_HZ is.
const userHZ = 100

// ticks is a sum of clock ticks as a duration.
func ticks(n ...int) time.Duration {
	var t int
	for _, v := range n {
		t += v
	}
	return time.Duration(t) * time.Second / userHZ
}

func stat(pid int) (procfs.ProcStat, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return procfs.ProcStat{}, err
	}
	return p.Stat()
}

// CPU returns the user plus system time pid has used so far.
func CPU(pid int) (time.Duration, error) {
	s, err := stat(pid)
	if err != nil {
		return 0, err
	}
	return ticks(int(s.UTime), int(s.STime)), nil
}

// Info is what the benchmark reads of any process: its parent, its name,
// and the CPU time (user plus system) of it and of its children it has
// reaped (cutime and cstime), so a tree's cost includes processes that
// have exited.
type Info struct {
	PPID int
	Name string
	CPU  time.Duration
}

// All reads every process's Info from /proc; processes that exit while it
// reads are left out.
func All() map[int]Info {
	procs, err := procfs.AllProcs()
	if err != nil {
		return nil
	}
	out := make(map[int]Info, len(procs))
	for _, p := range procs {
		s, err := p.Stat()
		if err != nil {
			continue
		}
		out[p.PID] = Info{PPID: s.PPID, Name: s.Comm, CPU: ticks(int(s.UTime), int(s.STime), s.CUTime, s.CSTime)}
	}
	return out
}

// Memory is a process's resident set now and at its peak, and the part
// of it mapped from files (its binary, a memory-mapped database), in bytes.
type Memory struct {
	RSS, Peak, File uint64
}

// Mem returns VmRSS, VmHWM and RssFile of pid.
func Mem(pid int) (Memory, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return Memory{}, err
	}
	s, err := p.NewStatus()
	if err != nil {
		return Memory{}, err
	}
	if s.VmHWM == 0 {
		return Memory{}, fmt.Errorf("no VmHWM in /proc/%d/status (a kernel thread or a zombie?)", pid)
	}
	return Memory{RSS: s.VmRSS, Peak: s.VmHWM, File: s.RssFile}, nil
}
