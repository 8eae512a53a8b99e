// Package proc reads one Linux process's CPU time and memory from /proc, so
// the benchmark charges each system for its own process only.
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

// parseStat reads utime and stime (fields 14 and 15). The command name in
// field 2 may hold spaces and parentheses, so fields are counted from the
// last ')'.
func parseStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat line %q", s)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("stat line has %d fields after the name", len(f))
	}
	var ticks uint64
	for _, v := range f[11:13] { // field 3 is f[0]
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat field %q: %v", v, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
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
