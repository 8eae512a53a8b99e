package schedule

import (
	"fmt"
	"testing"
)

func TestParseShard(t *testing.T) {
	good := map[string]Shard{"": {}, "0/1": {0, 1}, "0/3": {0, 3}, "2/3": {2, 3}, "9/10": {9, 10}}
	for in, want := range good {
		if got, err := ParseShard(in); err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"3/3", "-1/3", "1/0", "1", "a/b", "1/3/4", "0/-2", " 0/3"} {
		if _, err := ParseShard(in); err == nil {
			t.Errorf("ParseShard(%q) succeeded; want an error", in)
		}
	}
}

// Every probe lands on exactly one of N shards, the same one every time and
// whatever else is in the list, and N shards share a long list about evenly.
func TestShardsPartitionStablyAndEvenly(t *testing.T) {
	const n, probes = 3, 3000
	var names []string
	for i := range probes {
		names = append(names, fmt.Sprintf("checkout-%d.example", i))
	}
	counts := make([]int, n)
	for _, name := range names {
		owners := 0
		for i := range n {
			if (Shard{i, n}).Keeps(name) {
				owners++
				counts[i]++
			}
		}
		if owners != 1 {
			t.Fatalf("probe %q is on %d shards", name, owners)
		}
	}
	for i, c := range counts {
		// A fair hash gives 1000 ± about 26 (one standard deviation).
		if c < 900 || c > 1100 {
			t.Errorf("shard %d/%d has %d of %d probes; want about %d", i, n, c, probes, probes/n)
		}
	}

	// Stable: the shard of a name does not depend on the list it is in.
	s := Shard{1, n}
	kept := Filter(s, names[:50], func(n string) string { return n })
	for _, p := range kept {
		if !s.Keeps(p) {
			t.Errorf("Filter kept %q of another shard", p)
		}
	}
	if alone := Filter(s, kept[:1], func(n string) string { return n }); len(alone) != 1 {
		t.Errorf("a probe left its shard when the list changed")
	}
	// Known values pin the hash: changing it would move every probe of
	// every fleet at the next upgrade.
	for name, want := range map[string]int{"home": 1, "search": 0, "checkout": 2, "status": 0} {
		for i := range n {
			if got := (Shard{i, n}).Keeps(name); got != (i == want) {
				t.Errorf("probe %q on shard %d/%d: %v; want it on shard %d", name, i, n, got, want)
			}
		}
	}

	all := Filter(Shard{}, []string{"a", "b"}, func(n string) string { return n })
	all = Filter(Shard{0, 1}, all, func(n string) string { return n })
	if len(all) != 2 {
		t.Errorf("no sharding or one shard must keep every probe, kept %d", len(all))
	}
}
