package schedule

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Environment variables --shard=auto reads.
const (
	// EnvShards is the number of agents sharing the probe list when
	// --shard=auto does not name it (--shard=auto/N).
	EnvShards = "SLOAGENT_SHARDS"
	// EnvHostname overrides the system's host name as the name an agent
	// takes its ordinal from: for runtimes whose host name is not the
	// instance's, or a pod that sets it from metadata.name.
	EnvHostname = "SLOAGENT_HOSTNAME"
)

// ResolveShard reads the --shard flag. "i/N" is ParseShard's; "auto" and
// "auto/N" take i from the host name, which in a StatefulSet is the pod's
// name, NAME-ORDINAL, and N from the flag or else from $SLOAGENT_SHARDS.
// getenv and hostname are os.Getenv and os.Hostname outside tests.
func ResolveShard(flag string, getenv func(string) string, hostname func() (string, error)) (Shard, error) {
	rest, ok := strings.CutPrefix(flag, "auto")
	if !ok || rest != "" && rest[0] != '/' {
		return ParseShard(flag)
	}
	count := strings.TrimPrefix(rest, "/")
	from := "--shard=" + flag
	if count == "" {
		if count = getenv(EnvShards); count == "" {
			return Shard{}, fmt.Errorf("--shard=auto: the number of shards is unknown: set %s or use --shard=auto/N", EnvShards)
		}
		from = EnvShards + "=" + count
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return Shard{}, fmt.Errorf("--shard=auto: %s is not a number of shards of 1 or more", from)
	}
	host, src := getenv(EnvHostname), EnvHostname
	if host == "" {
		src = "the host name"
		if host, err = hostname(); err != nil {
			return Shard{}, fmt.Errorf("--shard=auto: %w", err)
		}
	}
	i, err := ordinal(host)
	if err != nil {
		return Shard{}, fmt.Errorf("--shard=auto: %s %q %w", src, host, err)
	}
	if i >= n {
		return Shard{}, fmt.Errorf("--shard=auto: ordinal %d of %s %q is not below the %d shards of %s (scale the agents and the number of shards together)", i, src, host, n, from)
	}
	return Shard{Index: i, Count: n}, nil
}

// ordinal is the number a StatefulSet ends its pods' names with, in the
// first label of a host name that may be fully qualified.
func ordinal(host string) (int, error) {
	host, _, _ = strings.Cut(host, ".")
	_, num, ok := cutLast(host, "-")
	if !ok || num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return 0, fmt.Errorf("does not end in -ORDINAL (a StatefulSet names its pods NAME-0, NAME-1, ...)")
	}
	i, err := strconv.Atoi(num)
	if err != nil {
		return 0, fmt.Errorf("ends in an ordinal out of range: %w", err)
	}
	return i, nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// shardOf is the shard of n that owns the probe named name: Lamping and
// Veach's jump consistent hash of the name's FNV-1a hash. Going from n to
// n+1 shards moves only the probes the new shard takes (1/(n+1) of them),
// and going back moves only the last shard's, which is exactly how a
// StatefulSet scales: it adds or removes its highest ordinals. Hash mod n
// moved about n/(n+1) of all probes instead. A library for these ten
// lines would add a dependency and no speed: about 90 ns a name (BenchmarkShardOf).
func shardOf(name string, n int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	key := h.Sum64()
	b, j := int64(-1), int64(0)
	for j < int64(n) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}
