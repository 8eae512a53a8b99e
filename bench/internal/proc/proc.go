// Package proc reads Linux processes' CPU time and memory from /proc, so
// the benchmark charges each system for its own process (or its own tree
// of processes) only.
package proc

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the times in /proc/PID/stat. The kernel exports it
// as 100 on every architecture Go supports, whatever CONFIG_HZ is.
const userHZ = 100

// CPU returns the user plus system time pid has used so far.
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(string(b))
}

// parseStat reads utime and stime (fields 14 and 15).
func parseStat(s string) (time.Duration, error) {
	_, f, err := statFields(s)
	if err != nil {
		return 0, err
	}
	return ticks(f[11:13])
}

// statFields splits a stat line into the command name (field 2) and the
// fields after it (field 3 is f[0]). The name may hold spaces and
// parentheses, so fields are counted from the last ')'.
func statFields(s string) (name string, f []string, err error) {
	i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if i < 0 || j < i {
		return "", nil, fmt.Errorf("malformed stat line %q", s)
	}
	f = strings.Fields(s[j+1:])
	if len(f) < 15 {
		return "", nil, fmt.Errorf("stat line has %d fields after the name", len(f))
	}
	return s[i+1 : j], f, nil
}

// ticks is the sum of clock-tick fields as a duration.
func ticks(fields []string) (time.Duration, error) {
	var t uint64
	for _, v := range fields {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat field %q: %v", v, err)
		}
		t += n
	}
	return time.Duration(t) * time.Second / userHZ, nil
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
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make(map[int]Info, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		name, f, err := statFields(string(b))
		if err != nil {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		cpu, err := ticks(f[11:15]) // utime stime cutime cstime
		if err != nil {
			continue
		}
		out[pid] = Info{PPID: ppid, Name: name, CPU: cpu}
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
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch name {
		case "VmRSS":
			dst = &m.RSS
		case "VmHWM":
			dst = &m.Peak
		case "RssFile":
			dst = &m.File
		default:
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("%s: %v", name, err)
		}
		*dst = kb * 1024
	}
	if err := sc.Err(); err != nil {
		return Memory{}, err
	}
	if m.Peak == 0 {
		return Memory{}, fmt.Errorf("no VmHWM in /proc/%d/status (a kernel thread or a zombie?)", pid)
	}
	return m, nil
}
