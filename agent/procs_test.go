package agent

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestProcsFor(t *testing.T) {
	for _, c := range []struct {
		env         string
		procs, cpus int
		want        int
	}{
		{"", 2, 2, 4},    // two cores: the GC gets a dedicated worker
		{"", 3, 3, 4},    // three as well
		{"", 1, 1, 1},    // one core: not measured, left alone
		{"", 4, 4, 4},    // already a dedicated worker
		{"", 16, 16, 16}, // a large host
		{"", 2, 16, 2},   // a CPU limit of 2 on a large host
		{"2", 2, 2, 2},   // set by the user
		{"3", 3, 16, 3},  // set by the user
		{"", 3, 4, 3},    // a limit of 3 on four cores
	} {
		if got := procsFor(c.env, c.procs, c.cpus); got != c.want {
			t.Errorf("procsFor(%q, %d, %d) = %d, want %d", c.env, c.procs, c.cpus, got, c.want)
		}
	}
}

// The agent binary runs with the Ps procsFor chooses, and keeps a
// GOMAXPROCS set in its environment.
func TestBinaryGOMAXPROCS(t *testing.T) {
	cpus := runtime.NumCPU()
	for _, c := range []struct{ env, want string }{
		{"", strconv.Itoa(procsFor("", cpus, cpus))},
		{"1", "1"},
	} {
		t.Setenv("GOMAXPROCS", c.env)
		p := startBinary(t)
		_, body := get(t, "http://"+p.addr+"/metrics")
		var got string
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "go_sched_gomaxprocs_threads") {
				got = line[strings.LastIndexByte(line, ' ')+1:]
			}
		}
		if got != c.want {
			t.Errorf("GOMAXPROCS=%q on %d CPUs: go_sched_gomaxprocs_threads %q, want %s", c.env, cpus, got, c.want)
		}
	}
}
