package main

import (
	"fmt"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sloagent/sloagent/bench/internal/gen"
	"github.com/sloagent/sloagent/bench/internal/lag"
)

// agentMetrics is what the benchmark reads from sloagent's /metrics.
type agentMetrics struct {
	counts
	// liveHeap is the heap the last GC found reachable: its goal for the
	// next cycle (go_memstats_next_gc_bytes) halved, as GOGC is 100.
	liveHeap uint64
	// last is each probe's last run: when it started and what it
	// reported.
	last map[string]lastRun
}

type lastRun struct {
	start float64
	gen.Duration
}

// scrape reads sloagent's metrics in the text format.
func (b *bench) scrape(u string) (agentMetrics, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return agentMetrics{}, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := b.client.Do(req)
	if err != nil {
		return agentMetrics{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return agentMetrics{}, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return agentMetrics{}, fmt.Errorf("parsing %s: %v", u, err)
	}
	return readAgentMetrics(fams), nil
}

func readAgentMetrics(fams map[string]*dto.MetricFamily) agentMetrics {
	m := agentMetrics{last: map[string]lastRun{}, counts: counts{lag: lag.New()}}
	each := func(name string, f func(probe string, mt *dto.Metric)) {
		fam := fams[name]
		if fam == nil {
			return
		}
		for _, mt := range fam.Metric {
			f(label(mt, "probe"), mt)
		}
	}
	each("probe_runs_total", func(_ string, mt *dto.Metric) { m.runs += uint64(mt.GetCounter().GetValue()) })
	each("sloagent_probe_skipped_runs_total", func(_ string, mt *dto.Metric) { m.skipped += uint64(mt.GetCounter().GetValue()) })
	each("probe_failures_total", func(_ string, mt *dto.Metric) {
		n := uint64(mt.GetCounter().GetValue())
		m.failures += n
		if label(mt, "reason") == "timeout" {
			m.timeouts += n
		}
	})
	each("sloagent_scheduler_lag_seconds", func(_ string, mt *dto.Metric) {
		h := mt.GetHistogram()
		cum := make([]uint64, 0, len(lag.Bounds))
		for i, bk := range h.GetBucket() {
			if i < len(lag.Bounds) && bk.GetUpperBound() == lag.Bounds[i] {
				cum = append(cum, bk.GetCumulativeCount())
			}
		}
		m.lag = lag.FromCumulative(cum, h.GetSampleCount())
	})
	each("go_memstats_next_gc_bytes", func(_ string, mt *dto.Metric) { m.liveHeap = uint64(mt.GetGauge().GetValue()) / 2 })
	set := func(probe string, f func(*lastRun)) {
		r := m.last[probe]
		f(&r)
		m.last[probe] = r
	}
	each("probe_last_run_timestamp_seconds", func(p string, mt *dto.Metric) {
		set(p, func(r *lastRun) { r.start = mt.GetGauge().GetValue() })
	})
	each("probe_duration_seconds", func(p string, mt *dto.Metric) {
		set(p, func(r *lastRun) { r.Total = mt.GetGauge().GetValue() })
	})
	each("probe_http_duration_seconds", func(p string, mt *dto.Metric) {
		if ph := label(mt, "phase"); ph == "processing" || ph == "transfer" {
			set(p, func(r *lastRun) { r.Server += mt.GetGauge().GetValue() })
		}
	})
	return m
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
