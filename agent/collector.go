package agent

import (
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// probeCollector exports every probe's state at scrape time. Series are
// built from the probe states rather than kept in metric vectors so that
// counters survive config reloads and per-probe labels can differ: every
// series of a config generation carries the union of all probes' label
// names, empty (so absent in Prometheus) where a probe does not set one.
type probeCollector struct {
	entries    []entry  // sorted by probe name
	labelNames []string // probe, then the union of probe label names

	success, duration, lastRun, runs, failures, skipped, histogram *prometheus.Desc

	mu    sync.Mutex
	descs map[string]*prometheus.Desc // sample descs by name and label names
}

// Help of the probe series; /metrics writes them without the registry too
// (see exposition).
const (
	helpSuccess   = "Whether the probe's last run succeeded (1) or failed (0)."
	helpDuration  = "How long the probe's last run took, in seconds."
	helpLastRun   = "When the probe's last run started, as a Unix time."
	helpRuns      = "Runs of the probe that finished, successful or not."
	helpFailures  = "Runs of the probe that failed, by reason."
	helpSkipped   = "Runs not started because the probe's previous run was still in flight."
	helpHistogram = "Duration of every run of the probe, failed runs included."
)

// entry is one probe with its label values, fixed for the collector's life.
type entry struct {
	state  *probeState
	values []string
}

func newProbeCollector(states []*probeState) *probeCollector {
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
	names := append([]string{"probe"}, extra...)
	entries := make([]entry, len(states))
	for i, s := range states {
		v := make([]string, len(names))
		v[0] = s.name
		for j, k := range extra {
			v[j+1] = s.cfg.Labels[k]
		}
		entries[i] = entry{state: s, values: v}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].state.name < entries[j].state.name })
	desc := func(name, help string, more ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append(append([]string(nil), names...), more...), nil)
	}
	return &probeCollector{
		entries:    entries,
		labelNames: names,
		success:    desc("probe_success", helpSuccess),
		duration:   desc("probe_duration_seconds", helpDuration),
		lastRun:    desc("probe_last_run_timestamp_seconds", helpLastRun),
		runs:       desc("probe_runs_total", helpRuns),
		failures:   desc("probe_failures_total", helpFailures, "reason"),
		skipped:    desc("sloagent_probe_skipped_runs_total", helpSkipped),
		histogram:  desc("probe_run_duration_seconds", helpHistogram),
		descs:      map[string]*prometheus.Desc{},
	}
}

// Describe sends nothing: sample names depend on what probes return, so the
// collector is unchecked.
func (c *probeCollector) Describe(chan<- *prometheus.Desc) {}

func (c *probeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, e := range c.entries {
		s, values := e.state, e.values
		s.mu.Lock()
		if s.hasRun {
			ch <- prometheus.MustNewConstMetric(c.success, prometheus.GaugeValue, boolFloat(s.last.Success), values...)
			ch <- prometheus.MustNewConstMetric(c.duration, prometheus.GaugeValue, s.last.Duration.Seconds(), values...)
			ch <- prometheus.MustNewConstMetric(c.lastRun, prometheus.GaugeValue, float64(s.lastStart.UnixNano())/1e9, values...)
		}
		ch <- prometheus.MustNewConstMetric(c.runs, prometheus.CounterValue, float64(s.runs), values...)
		for reason, n := range s.failures {
			ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(n), append(values[:len(values):len(values)], reason)...)
		}
		ch <- prometheus.MustNewConstMetric(c.skipped, prometheus.CounterValue, float64(s.skipped), values...)
		if s.hasRun {
			for i := range s.samples.len() {
				smp := s.samples.at(i)
				names := make([]string, 0, len(c.labelNames)+len(smp.Labels))
				vals := append(make([]string, 0, cap(names)), values...)
				names = append(names, c.labelNames...)
				for _, l := range smp.Labels {
					names = append(names, l.Name)
					vals = append(vals, l.Value)
				}
				d := c.sampleDesc(smp.Name, smp.Help, names)
				m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, smp.Value, vals...)
				if err != nil {
					m = prometheus.NewInvalidMetric(d, err)
				}
				ch <- m
			}
		}
		hist := s.duration.metric(c.histogram, values)
		s.mu.Unlock()
		ch <- hist
	}
}

func (c *probeCollector) sampleDesc(name, help string, labels []string) *prometheus.Desc {
	key := name + "\xff" + strings.Join(labels, "\xff")
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.descs[key]
	if !ok {
		if help == "" {
			help = name
		}
		d = prometheus.NewDesc(name, help, labels, nil)
		c.descs[key] = d
	}
	return d
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
