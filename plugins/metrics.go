package plugins

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the supervisor's own series, collected from the instances'
// state at scrape time.
type metrics struct {
	up, restarts, crashLooping *prometheus.Desc
	calls                      *prometheus.HistogramVec
	sup                        *Supervisor
}

func newMetrics() *metrics {
	return &metrics{
		up: prometheus.NewDesc("sloagent_plugin_up",
			"Whether the plugin process is running and has answered its handshake (1) or not (0).", []string{"plugin"}, nil),
		restarts: prometheus.NewDesc("sloagent_plugin_restarts_total",
			"Times the plugin process was started again after it exited, hung or failed to start.", []string{"plugin"}, nil),
		crashLooping: prometheus.NewDesc("sloagent_plugin_crashlooping",
			"Whether the plugin failed so many times in a row that it is restarted at the longest backoff only (1) or not (0).", []string{"plugin"}, nil),
		calls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sloagent_plugin_call_duration_seconds",
			Help:    "Duration of probe calls to the plugin, failed calls included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"plugin"}),
	}
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.up
	ch <- m.restarts
	ch <- m.crashLooping
	m.calls.Describe(ch)
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	for _, i := range m.sup.list() {
		st := i.status()
		ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, b2f(st.State == StateRunning), st.Name)
		ch <- prometheus.MustNewConstMetric(m.restarts, prometheus.CounterValue, float64(st.Restarts), st.Name)
		ch <- prometheus.MustNewConstMetric(m.crashLooping, prometheus.GaugeValue, b2f(st.State == StateCrashLooping), st.Name)
	}
	m.calls.Collect(ch)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
