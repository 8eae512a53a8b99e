package agent

import (
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Version is the agent's version, set at build time with
// -ldflags "-X github.com/sloagent/sloagent/agent.Version=v1.2.3".
var Version = "dev"

// selfMetrics are the agent's own health metrics. They live as long as the
// agent and are registered again in each config generation's registry.
type selfMetrics struct {
	buildInfo       prometheus.Gauge
	reloadOK        prometheus.Gauge
	reloadTimestamp prometheus.Gauge
	reloads         *prometheus.CounterVec
	probes          prometheus.Gauge
}

func newSelfMetrics() *selfMetrics {
	revision, goVersion := buildRevision()
	m := &selfMetrics{
		buildInfo: prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "sloagent_build_info",
			Help:        "Always 1; the labels say which build of the agent runs.",
			ConstLabels: prometheus.Labels{"version": Version, "revision": revision, "goversion": goVersion},
		}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sloagent_config_last_reload_successful",
			Help: "Whether the last attempt to load the config succeeded.",
		}),
		reloadTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sloagent_config_last_reload_success_timestamp_seconds",
			Help: "When the config was last loaded successfully, as a Unix time.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sloagent_config_reloads_total",
			Help: "Attempts to load the config, by result.",
		}, []string{"result"}),
		probes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sloagent_probes",
			Help: "Probes in the running config.",
		}),
	}
	m.buildInfo.Set(1)
	m.reloads.WithLabelValues("success")
	m.reloads.WithLabelValues("failure")
	return m
}

func (m *selfMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.buildInfo, m.reloadOK, m.reloadTimestamp, m.reloads, m.probes}
}

func (m *selfMetrics) reloaded(ok bool, at time.Time) {
	if ok {
		m.reloadOK.Set(1)
		m.reloadTimestamp.Set(float64(at.Unix()))
		m.reloads.WithLabelValues("success").Inc()
		return
	}
	m.reloadOK.Set(0)
	m.reloads.WithLabelValues("failure").Inc()
}

func buildRevision() (revision, goVersion string) {
	revision = "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return revision, "unknown"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			revision = s.Value
		}
	}
	return revision, bi.GoVersion
}
