package schedule

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Shard is this agent's part of a probe list split across Count agents
// (--shard=Index/Count). The zero Shard keeps every probe.
type Shard struct {
	Index, Count int
}

// ParseShard parses "i/N" with 0 <= i < N.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("--shard: %q is not i/N with 0 <= i < N (for example 0/3)", s)
	}
	return Shard{Index: i, Count: n}, nil
}

func (s Shard) String() string {
	if !s.Sharded() {
		return "none"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Sharded reports whether the probe list is split at all.
func (s Shard) Sharded() bool { return s.Count > 1 }

// Keeps reports whether probe name belongs to this shard. The hash of the
// name alone decides, so every agent of a fleet agrees without talking to
// the others, and a probe stays on its agent while others are added or
// removed from the config.
func (s Shard) Keeps(name string) bool {
	if !s.Sharded() {
		return true
	}
	return shardOf(name, s.Count) == s.Index
}

// Filter returns the items of this shard, in order. SLOs stay as they
// are: each agent counts the runs of its own probes, and Prometheus sums
// the fleet's counters with the rules of `sloagent rules`.
func Filter[T any](s Shard, items []T, name func(T) string) []T {
	if !s.Sharded() {
		return items
	}
	kept := items[:0:0]
	for _, it := range items {
		if s.Keeps(name(it)) {
			kept = append(kept, it)
		}
	}
	return kept
}

// Collector exports which shard the agent runs, so a dashboard can tell a
// shard with no agent.
func (s Shard) Collector() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "sloagent_shard_info",
		Help:        "Always 1; shard and shards say which part of the probe list (--shard=shard/shards) this agent runs.",
		ConstLabels: prometheus.Labels{"shard": strconv.Itoa(s.Index), "shards": strconv.Itoa(s.Count)},
	})
	g.Set(1)
	return g
}
