package agent

import (
	_ "embed"
	"path"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/browser"
)

// statusBrowserHTML defines the status page's "browser" and
// "failure-detail" blocks: the shared Chromium's health, and a failed
// journey's step with its screenshot.
//
//go:embed status_browser.html
var statusBrowserHTML string

// browserPanel is the shared Chromium as the status page shows it.
type browserPanel struct {
	browser.Stats
	// RestartTotal sums Restarts; Reasons lists those with restarts, by
	// name.
	RestartTotal uint64
	Reasons      []restartCount
	// Processes are measured as the page is rendered; PSSBytes is their
	// sum (0 where the processes cannot be read).
	Processes []browser.Process
	PSSBytes  int64
	// Waits is how many runs waited for a slot (max_concurrent_runs)
	// since the agent started, WaitMean their mean wait, and WaitsOver1s
	// how many waited longer than a second.
	Waits       uint64
	WaitMean    time.Duration
	WaitsOver1s uint64
}

type restartCount struct {
	Reason string
	Count  uint64
}

// browserPanel reads the browser's counters and measures its processes,
// or returns nil when no probe of the running config is a browser probe
// (the agent then runs none).
func (a *Agent) browserPanel() *browserPanel {
	a.mu.RLock()
	b := a.browser
	a.mu.RUnlock()
	if b == nil {
		return nil
	}
	p := &browserPanel{Stats: b.Stats(), Processes: b.Processes()}
	for r, n := range p.Restarts {
		if n > 0 {
			p.Reasons = append(p.Reasons, restartCount{r, n})
			p.RestartTotal += n
		}
	}
	sort.Slice(p.Reasons, func(i, j int) bool { return p.Reasons[i].Reason < p.Reasons[j].Reason })
	for _, pr := range p.Processes {
		p.PSSBytes += pr.PSSBytes
	}
	p.Waits, p.WaitMean, p.WaitsOver1s = slotWaits(a.self.run.Wait, browser.Kind.Name)
	return p
}

// slotWaits reads the runs of kind that waited for a slot from the
// runner's histogram: how many, their mean wait and how many waited more
// than a second.
func slotWaits(h *prometheus.HistogramVec, kind string) (n uint64, mean time.Duration, over1s uint64) {
	if h == nil {
		return 0, 0, 0
	}
	m, ok := h.WithLabelValues(kind).(prometheus.Metric)
	if !ok {
		return 0, 0, 0
	}
	var d dto.Metric
	if err := m.Write(&d); err != nil || d.GetHistogram().GetSampleCount() == 0 {
		return 0, 0, 0
	}
	hist := d.GetHistogram()
	n = hist.GetSampleCount()
	mean = time.Duration(hist.GetSampleSum() / float64(n) * float64(time.Second))
	over1s = n
	for _, b := range hist.GetBucket() {
		if b.GetUpperBound() == 1 {
			over1s = n - b.GetCumulativeCount()
		}
	}
	return n, mean, over1s
}

// journeyFailure is what a failed browser run left for the status page,
// each file relative to the diagnostics directory.
type journeyFailure struct {
	browser.Failure
	Console, Requests string
	Other             []string // the journey's own screenshot steps
}

// journeyOf returns the failure of a probe's last run when it is a failed
// browser run of prober p, else nil.
func journeyOf(s snapshot, p probes.Prober) *journeyFailure {
	if !s.HasRun || s.Last.Success || s.Config == nil || s.Config.Kind != browser.Kind.Name {
		return nil
	}
	j := &journeyFailure{Failure: browser.FailureOf(p, s.Last)}
	for _, d := range s.Last.Diagnostics {
		switch {
		case d == j.Screenshot:
		case path.Base(d) == "console.json":
			j.Console = d
		case path.Base(d) == "requests.json":
			j.Requests = d
		default:
			j.Other = append(j.Other, d)
		}
	}
	return j
}

// mbText writes a byte count in megabytes (10^6 bytes, as conf.ByteSize
// reads "MB").
func mbText(n int64) string {
	if n <= 0 {
		return "not measured"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 0, 64) + " MB"
}
