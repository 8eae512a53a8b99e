package proc

import "time"

// descendants returns root's descendants in procs.
func descendants(procs map[int]Info, root int) []int {
	children := map[int][]int{}
	for pid, p := range procs {
		children[p.PPID] = append(children[p.PPID], pid)
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

// TreeCPU is the CPU time the process root and everything it started have
// used. A process that exited counts through its parent's cutime and cstime
// once reaped; Chromium's helpers are reaped by Chromium's own processes,
// and Chromium by the agent.
func TreeCPU(root int) time.Duration {
	procs := All()
	total := procs[root].CPU
	for _, pid := range descendants(procs, root) {
		total += procs[pid].CPU
	}
	return total
}

// TreePSS is the proportional set size of root's descendants (Chromium's
// processes, not the agent itself), in bytes.
func TreePSS(root int) uint64 {
	var total uint64
	for _, pid := range descendants(All(), root) {
		total += pss(pid)
	}
	return total
}
