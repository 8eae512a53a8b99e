package agent

import (
	"os"
	"runtime"
)

// gcDedicatedProcs is the fewest Ps at which Go's garbage collector marks
// with a dedicated worker, a quarter of the Ps. Below it, it marks with
// fractional workers on every P, in turns with the goroutines, and holds up
// runs at each collection: on a two-core host at 6,000 probes/s, 0.24% and
// 8% of runs started more than 10 ms late in two windows with 2 Ps, and
// 0.06% in both with 4 Ps, where one P marks and the kernel shares the cores.
const gcDedicatedProcs = 4

// procsFor is the GOMAXPROCS the agent runs with, given the GOMAXPROCS
// environment variable, the runtime's choice and the CPUs the process may
// use. It raises a choice of 2 or 3 to gcDedicatedProcs only when the
// runtime chose every CPU: a CPU limit (cgroup quota) that made the runtime
// choose fewer, or a value set by the user, stays as it is. A single CPU
// is left as it is too: four Ps there are not measured.
func procsFor(env string, procs, cpus int) int {
	if env != "" || procs != cpus || procs < 2 || procs >= gcDedicatedProcs {
		return procs
	}
	return gcDedicatedProcs
}

// setProcs applies procsFor to this process.
func setProcs() (from, to int) {
	from = runtime.GOMAXPROCS(0)
	to = procsFor(os.Getenv("GOMAXPROCS"), from, runtime.NumCPU())
	if to != from {
		runtime.GOMAXPROCS(to)
	}
	return from, to
}
