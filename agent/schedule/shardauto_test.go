package schedule

import (
	"errors"
	"fmt"
	"testing"
)

func TestResolveShard(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	host := func(name string) func() (string, error) {
		return func() (string, error) { return name, nil }
	}
	good := []struct {
		flag string
		env  map[string]string
		host string
		want Shard
	}{
		{"", nil, "web-1", Shard{}},
		{"1/3", map[string]string{EnvShards: "5"}, "web-4", Shard{1, 3}},
		{"auto", map[string]string{EnvShards: "3"}, "sloagent-2", Shard{2, 3}},
		{"auto/4", map[string]string{EnvShards: "3"}, "sloagent-3", Shard{3, 4}},
		{"auto", map[string]string{EnvShards: "12"}, "probes-eu-11.probes.monitoring.svc.cluster.local", Shard{11, 12}},
		{"auto", map[string]string{EnvShards: "2", EnvHostname: "sloagent-1"}, "laptop", Shard{1, 2}},
		{"auto/1", nil, "sloagent-0", Shard{0, 1}},
	}
	for _, c := range good {
		got, err := ResolveShard(c.flag, env(c.env), host(c.host))
		if err != nil || got != c.want {
			t.Errorf("ResolveShard(%q, %v, %q) = %v, %v; want %v", c.flag, c.env, c.host, got, err, c.want)
		}
	}
	bad := []struct {
		flag string
		env  map[string]string
		host string
		want string
	}{
		{"auto", nil, "sloagent-0", "--shard=auto: the number of shards is unknown: set SLOAGENT_SHARDS or use --shard=auto/N"},
		{"auto", map[string]string{EnvShards: "three"}, "sloagent-0", "--shard=auto: SLOAGENT_SHARDS=three is not a number of shards of 1 or more"},
		{"auto/0", nil, "sloagent-0", "--shard=auto: --shard=auto/0 is not a number of shards of 1 or more"},
		{"auto", map[string]string{EnvShards: "3"}, "laptop", `--shard=auto: the host name "laptop" does not end in -ORDINAL (a StatefulSet names its pods NAME-0, NAME-1, ...)`},
		{"auto", map[string]string{EnvShards: "3", EnvHostname: "sloagent-"}, "x-1", `--shard=auto: SLOAGENT_HOSTNAME "sloagent-" does not end in -ORDINAL (a StatefulSet names its pods NAME-0, NAME-1, ...)`},
		{"auto", map[string]string{EnvShards: "3"}, "sloagent-3", `--shard=auto: ordinal 3 of the host name "sloagent-3" is not below the 3 shards of SLOAGENT_SHARDS=3 (scale the agents and the number of shards together)`},
		{"auto/2", nil, "sloagent-2", `--shard=auto: ordinal 2 of the host name "sloagent-2" is not below the 2 shards of --shard=auto/2 (scale the agents and the number of shards together)`},
		{"autox", nil, "sloagent-0", `--shard: "autox" is not i/N with 0 <= i < N (for example 0/3)`},
	}
	for _, c := range bad {
		_, err := ResolveShard(c.flag, env(c.env), host(c.host))
		if err == nil || err.Error() != c.want {
			t.Errorf("ResolveShard(%q, %v, %q) error %v; want %s", c.flag, c.env, c.host, err, c.want)
		}
	}
	_, err := ResolveShard("auto/3", env(nil), func() (string, error) { return "", errors.New("no uts") })
	if err == nil || err.Error() != "--shard=auto: no uts" {
		t.Errorf("a failing host name lookup gave %v", err)
	}
}

// Adding the shard n moves only the probes the new shard takes, about
// 1/(n+1) of them, and removing it again moves only those back: a
// StatefulSet scaled up or down moves no probe between the agents that
// stay.
func TestShardScalingMovesOnlyWhatItMust(t *testing.T) {
	const probes = 6000
	names := make([]string, probes)
	for i := range names {
		names[i] = fmt.Sprintf("probe-%d.example", i)
	}
	for n := 1; n <= 12; n++ {
		moved := 0
		for _, name := range names {
			from, to := shardOf(name, n), shardOf(name, n+1)
			if from == to {
				continue
			}
			moved++
			if to != n {
				t.Fatalf("%d -> %d shards moved %q from shard %d to %d, not to the new shard", n, n+1, name, from, to)
			}
		}
		want := float64(probes) / float64(n+1)
		// Binomial: one standard deviation is below 40 here; allow 5.
		if d := float64(moved) - want; d > 200 || d < -200 {
			t.Errorf("%d -> %d shards moved %d of %d probes; want about %.0f", n, n+1, moved, probes, want)
		}
		if n == 3 {
			t.Logf("3 -> 4 shards moves %d of %d probes (%.1f%%), all to shard 3", moved, probes, 100*float64(moved)/probes)
		}
	}
}

func BenchmarkShardOf(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		shardOf("checkout-eu-frankfurt-health", 3)
	}
}
