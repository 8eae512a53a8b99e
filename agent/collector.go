package agent

import (
	"slices"
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/internal/expo"
	"github.com/sloagent/sloagent/probes/kinds"
)

// probeCollector exports every probe's state at scrape time. Series are
// built from the probe states rather than kept in metric vectors so that
// counters survive config reloads and per-probe labels can differ: every
// series of a config generation carries the union of all probes' label
// names, empty (so absent in Prometheus) where a probe does not set one.
//
// /metrics writes the series through the text or protobuf encoder with the
// agent's labels (write); a registry collects them without, adding the
// agent's labels by wrapping (Collect). Both walk the same table of
// families (expo.WriteProbes).
type probeCollector struct {
	entries  []entry  // sorted by probe name
	extra    []string // the probes' label names, sorted
	describe func(string) *expo.Family
}

// entry is one probe with its label set, fixed for the collector's life.
type entry struct {
	state *probeState
	cfg   *config.ProbeConfig // the probe's labels, as the collector was made
	// full has the agent's labels too: the label set /metrics writes.
	full *expo.Labels
}

func newProbeCollector(states []*probeState, agentLabels prometheus.Labels) *probeCollector {
	union := map[string]bool{}
	for _, s := range states {
		for k := range s.cfg.Labels {
			union[k] = true
		}
	}
	extra := make([]string, 0, len(union))
	for k := range union {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	entries := make([]entry, len(states))
	var names, values []string
	var like *expo.Labels // every probe's label names are the same: kept once
	for i, s := range states {
		names, values = ownLabels(names[:0], values[:0], extra, s.name, s.cfg)
		// A probe label named like an agent label gives way to it, as
		// it cannot be both.
		for k, v := range agentLabels {
			if union[k] {
				for j := range names {
					if names[j] == k {
						values[j] = v
					}
				}
				continue
			}
			names, values = append(names, k), append(values, v)
		}
		like = expo.NewLabelsLike(like, names, values)
		entries[i] = entry{state: s, cfg: s.cfg, full: like}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].state.name < entries[j].state.name })
	return &probeCollector{entries: entries, extra: extra, describe: expo.DescribeWith(kinds.All)}
}

// ownLabels appends the probe's own label names and values (without the
// agent's): probe, and the extra names, empty where the probe sets none.
func ownLabels(names, values, extra []string, name string, cfg *config.ProbeConfig) ([]string, []string) {
	names, values = append(names, "probe"), append(values, name)
	for _, k := range extra {
		names, values = append(names, k), append(values, cfg.Labels[k])
	}
	return names, values
}

// write writes every probe's series with the agent's labels; it is an
// expo.Source.
func (c *probeCollector) write(enc expo.Encoder, taken map[string]bool) error {
	_, text := enc.(*expo.Text) // the text format has no native histograms
	return expo.WriteProbes(enc, c.rows(true, !text), c.describe, taken)
}

// Describe sends nothing: sample names depend on what probes return, so the
// collector is unchecked.
func (c *probeCollector) Describe(chan<- *prometheus.Desc) {}

// Collect sends every probe's series without the agent's labels, which a
// wrapping registerer adds.
func (c *probeCollector) Collect(ch chan<- prometheus.Metric) {
	_ = expo.WriteProbes(expo.NewMetrics(ch), c.rows(false, true), c.describe, map[string]bool{})
}

// rows copies every probe's state, with the agent's labels when full and
// the native histogram buckets when native. Each lock is held only for the
// copy. The label sets without the agent's labels are made here: only a
// registry's collection (pushes, tests) wants them, and keeping them took
// some 300 bytes a probe.
func (c *probeCollector) rows(full, native bool) []expo.ProbeRow {
	rows := make([]expo.ProbeRow, len(c.entries))
	var names, values []string
	var like *expo.Labels
	for i, e := range c.entries {
		r := &rows[i]
		r.Labels = e.full
		if !full {
			names, values = ownLabels(names[:0], values[:0], c.extra, e.state.name, e.cfg)
			like = expo.NewLabelsLike(like, names, values)
			r.Labels = like
		}
		s := e.state
		s.mu.Lock()
		r.HasRun, r.Success = s.hasRun, s.last.Success
		r.Duration, r.Start = s.last.Duration.Seconds(), float64(s.lastStart)/1e9
		r.Runs, r.Skipped = s.runs, s.skipped
		r.Failures = slices.Clone(s.failures) // sorted by reason
		if s.hasRun {
			r.Samples = s.samples
		}
		s.duration.snapshot(&r.Hist, native)
		s.mu.Unlock()
	}
	return rows
}
