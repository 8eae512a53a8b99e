package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/slo"
)

// BenchmarkMetricsSLOs renders /metrics for many HTTP probes with an SLO
// each (99.9% over 30 days, the default alerts) whose window is full: the
// state directory holds 30 days of history, 3 runs a minute. The SLOs'
// windows are computed by the first scrape of a minute and kept;
// slo.BenchmarkWriteText measures both. "fresh" is what the bench
// harness measures: SLOs without history, each with a few runs.
func BenchmarkMetricsSLOs(b *testing.B) {
	res, url := benchResult(b)
	for _, c := range []struct {
		n       int
		history bool
	}{{1000, true}, {10000, true}, {10000, false}} {
		name := fmt.Sprintf("probes=%d", c.n)
		if !c.history {
			name += ",fresh"
		}
		// The agent is built inside b.Run, so that a filtered run
		// builds only the agents it measures.
		b.Run(name, func(b *testing.B) {
			benchScrapes(b, "", benchAgentSLOs(b, c.n, url, res, c.history).Handler())
		})
	}
}

// benchAgentSLOs is benchAgent with an SLO of every probe and, with
// history, 30 days of their history in the state directory; without, a
// few runs of each.
func benchAgentSLOs(b *testing.B, n int, url string, res probes.Result, history bool) *Agent {
	b.Helper()
	var cfg strings.Builder
	cfg.WriteString("agent:\n  name: bench\nprobes:\n")
	for i := range n {
		fmt.Fprintf(&cfg, "  - name: p%05d\n    target: %s\n    interval: 24h\n    timeout: 10s\n", i, url)
	}
	cfg.WriteString("slos:\n")
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("slo-p%05d", i)
		fmt.Fprintf(&cfg, "  - name: %s\n    probes: [p%05d]\n    objective: 99.9\n", names[i], i)
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "sloagent.yml")
	if err := os.WriteFile(file, []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	end := time.Now()
	if !history {
		a := loadedAgent(b, Options{ConfigFile: file, StateDir: state})
		a.mu.RLock()
		for _, st := range a.states {
			st.record(res, end, a.layouts, false)
			for k := range 5 {
				a.slo.Observe(slo.Event{Probe: st.name, Labels: st.cfg.Labels, Time: end.Add(time.Duration(k-5) * time.Minute),
					Success: k != 2 || st.name[len(st.name)-1] != '7', Duration: res.Duration})
			}
		}
		a.mu.RUnlock()
		return a
	}
	store, err := slo.OpenStore(state, nil)
	if err != nil {
		b.Fatal(err)
	}
	err = store.WriteHistory(names, end.Add(-30*24*time.Hour), end, func(m time.Time) (uint32, uint32) {
		if m.Unix()/60%1000 == 0 {
			return 2, 3
		}
		return 3, 3
	})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	a := loadedAgent(b, Options{ConfigFile: file, StateDir: state})
	a.mu.RLock()
	for _, st := range a.states {
		st.record(res, end, a.layouts, false)
	}
	a.mu.RUnlock()
	return a
}
