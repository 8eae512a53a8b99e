package agent

import "testing"

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
