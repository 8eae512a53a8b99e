package agent

import (
	"context"
	"path/filepath"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/probes/browser"
)

// diagnosticsDir is where failed runs leave screenshots and logs, served at
// /diagnostics/.
func diagnosticsDir(cfg *config.Config) string {
	return filepath.Join(cfg.Agent.StateDir, "diagnostics")
}

func usesBrowser(cfg *config.Config) bool { return cfg.Uses(browser.Kind.Name) }

// browserFor returns the agent's browser for cfg, starting one when the
// first browser probe appears and replacing it when the browser section
// changes. A Chromium that is missing or does not start is logged clearly;
// browser runs then fail with browser_unavailable and the other probes keep
// running. It returns the browser to retire, if any.
func (a *Agent) browserFor(cfg *config.Config) (cur, retired *browser.Browser) {
	if !usesBrowser(cfg) {
		return nil, a.browser
	}
	if a.browser != nil && reflect.DeepEqual(a.browserOpts, cfg.Browser) {
		return a.browser, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := browser.Start(ctx, cfg.Browser, diagnosticsDir(cfg), a.log.With("component", "browser"))
	if err != nil {
		a.log.Error("the browser for browser probes did not start; their runs fail with reason browser_unavailable until it does",
			"err", err)
	}
	return b, a.browser
}

// browserCollector exports the shared browser's health.
type browserCollector struct {
	b                                  *browser.Browser
	up, runs, starts, failures, memory *prometheus.Desc
	restarts, queueTimeouts, info      *prometheus.Desc
}

func newBrowserCollector(b *browser.Browser) *browserCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &browserCollector{
		b:        b,
		up:       d("sloagent_browser_up", "Whether the shared Chromium is running and connected."),
		runs:     d("sloagent_browser_runs_total", "Browser probe runs that got a browser."),
		starts:   d("sloagent_browser_starts_total", "Chromium processes started."),
		failures: d("sloagent_browser_start_failures_total", "Chromium starts that failed."),
		memory:   d("sloagent_browser_memory_bytes", "Memory of the Chromium processes when last measured."),
		restarts: d("sloagent_browser_restarts_total", "Chromium restarts by reason: crash, unresponsive, runs or memory.", "reason"),
		queueTimeouts: d("sloagent_browser_queue_timeouts_total",
			"Browser runs that got no slot (max_concurrent_runs) within max_queue_wait, and were skipped."),
		info: d("sloagent_browser_info", "Always 1 while Chromium runs; version is its product string, such as HeadlessChrome/156.0.0.0.", "version"),
	}
}

func (c *browserCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.runs, c.starts, c.failures, c.memory, c.restarts, c.queueTimeouts, c.info} {
		ch <- d
	}
}

func (c *browserCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.b.Stats()
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, b2f(s.Up))
	ch <- prometheus.MustNewConstMetric(c.runs, prometheus.CounterValue, float64(s.Runs))
	ch <- prometheus.MustNewConstMetric(c.starts, prometheus.CounterValue, float64(s.Starts))
	ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(s.StartFailures))
	ch <- prometheus.MustNewConstMetric(c.memory, prometheus.GaugeValue, float64(s.MemoryBytes))
	for _, r := range []string{browser.RestartCrash, browser.RestartUnresponsive, browser.RestartRuns, browser.RestartMemory} {
		ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(s.Restarts[r]), r)
	}
	ch <- prometheus.MustNewConstMetric(c.queueTimeouts, prometheus.CounterValue, float64(s.QueueTimeouts))
	if s.Version != "" {
		ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, s.Version)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
