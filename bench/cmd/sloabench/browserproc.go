package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// procInfo is what the browser figure reads of one process.
type procInfo struct {
	ppid int
	cpu  time.Duration // utime+stime+cutime+cstime: its own and its reaped children's
	name string
}

// readProcs reads every process's parent and CPU time from /proc.
func readProcs() map[int]procInfo {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make(map[int]procInfo, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i, j := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if i < 0 || j < i {
			continue
		}
		f := strings.Fields(string(b[j+1:]))
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		var ticks int64
		for _, v := range f[11:15] { // utime stime cutime cstime
			n, _ := strconv.ParseInt(v, 10, 64)
			ticks += n
		}
		out[pid] = procInfo{ppid: ppid, cpu: time.Duration(ticks) * time.Second / 100, name: string(b[i+1 : j])}
	}
	return out
}

// descendants returns root's descendants in procs.
func descendants(procs map[int]procInfo, root int) []int {
	children := map[int][]int{}
	for pid, p := range procs {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// treeCPU is the CPU time the process root and everything it started have
// used. A process that exited counts through its parent's cutime and cstime
// once reaped; Chromium's helpers are reaped by Chromium's own processes,
// and Chromium by the agent.
func treeCPU(root int) time.Duration {
	procs := readProcs()
	total := procs[root].cpu
	for _, pid := range descendants(procs, root) {
		total += procs[pid].cpu
	}
	return total
}

// treePSS is the proportional set size of root's descendants (Chromium's
// processes, not the agent itself), in bytes.
func treePSS(root int) uint64 {
	var total uint64
	for _, pid := range descendants(readProcs(), root) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "Pss:"); ok {
				kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				total += kb << 10
				break
			}
		}
	}
	return total
}
