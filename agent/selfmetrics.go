package agent

import (
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sloagent/sloagent/agent/discovery"
	"github.com/sloagent/sloagent/agent/push"
	"github.com/sloagent/sloagent/agent/schedule"
)

// Version is the agent's version, set at build time with
// -ldflags "-X github.com/sloagent/sloagent/agent.Version=v1.2.3".
var Version = "dev"

// selfMetrics are the agent's own health metrics, all of them: the
// runner's and the push loop's report into theirs. They live as long as
// the agent and are registered again in each config generation's
// registry.
type selfMetrics struct {
	buildInfo       prometheus.Gauge
	reloadOK        prometheus.Gauge
	reloadTimestamp prometheus.Gauge
	reloads         *prometheus.CounterVec
	probes          prometheus.Gauge
	webConns        prometheus.Gauge
	webMaxConns     prometheus.Gauge
	webRefused      prometheus.Counter
	webEvicted      prometheus.Counter

	run       schedule.Metrics
	push      push.Metrics
	discovery discovery.Metrics
}

func newSelfMetrics() *selfMetrics {
	revision, goVersion := buildRevision()
	m := &selfMetrics{
		buildInfo: prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "sloagent_build_info",
			Help:        "Always 1; the labels say which build of the agent runs.",
			ConstLabels: prometheus.Labels{"version": Version, "revision": revision, "goversion": goVersion},
		}),
		reloadOK:        gauge("sloagent_config_last_reload_successful", "Whether the last attempt to load the config succeeded."),
		reloadTimestamp: gauge("sloagent_config_last_reload_success_timestamp_seconds", "When the config was last loaded successfully, as a Unix time."),
		reloads:         counters("sloagent_config_reloads_total", "Attempts to load the config, by result.", "result"),
		probes:          gauge("sloagent_probes", "Probes in the running config."),
		webConns:        gauge("sloagent_web_connections", "Connections to the web server open now."),
		webMaxConns:     gauge("sloagent_web_connections_max", "The most connections the web server keeps open: --web.max-connections, or a quarter of the open file limit if that is less."),
		webRefused: prometheus.NewCounter(prometheus.CounterOpts{Name: "sloagent_web_connections_refused_total",
			Help: "Connections to the web server closed at once: it had as many as it keeps, all busy with requests."}),
		webEvicted: prometheus.NewCounter(prometheus.CounterOpts{Name: "sloagent_web_connections_evicted_total",
			Help: "Idle connections (or ones yet to send a request) that the web server closed to make room for a new one."}),
		run: schedule.Metrics{
			Lag: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name:                            "sloagent_scheduler_lag_seconds",
				Help:                            "How late probe runs started: actual start minus planned start.",
				Buckets:                         []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
				NativeHistogramBucketFactor:     1.1,
				NativeHistogramMaxBucketNumber:  100,
				NativeHistogramMinResetDuration: time.Hour,
			}),
			InFlight: gauge("sloagent_runs_in_flight", "Probe runs in progress now."),
			Wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
				Name:    "sloagent_run_slot_wait_seconds",
				Help:    "How long runs of kinds with a shared resource (a browser) waited for a slot of it before their timeout started, by kind.",
				Buckets: []float64{.001, .01, .1, .5, 1, 2.5, 5, 10, 30, 60},
			}, []string{"kind"}),
		},
		push: push.Metrics{
			Pushes: counters("sloagent_pushes_total",
				"Pushes of the agent's metrics attempted, by target (remote_write, pushgateway); retries within one push are not counted.", "target"),
			Failures: counters("sloagent_push_failures_total", "Pushes that failed after all their retries, by target.", "target"),
			LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
				Name: "sloagent_push_last_success_timestamp_seconds",
				Help: "When a push to the target last succeeded, as a Unix time.",
			}, []string{"target"}),
		},
	}
	m.discovery = discovery.Metrics{
		Targets: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sloagent_discovery_targets",
			Help: "Targets a discovery source holds now: those of its last good refresh."}, []string{"source"}),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sloagent_discovery_last_success_timestamp_seconds",
			Help: "When a discovery source last refreshed successfully, as a Unix time; 0 if it never has."}, []string{"source"}),
		Failing: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sloagent_discovery_source_failing",
			Help: "1 while a discovery source's last refresh failed (it keeps its last good targets), else 0."}, []string{"source"}),
		Failures: counters("sloagent_discovery_failures_total", "Refreshes of a discovery source that failed.", "source"),
	}
	m.buildInfo.Set(1)
	m.reloads.WithLabelValues("success")
	m.reloads.WithLabelValues("failure")
	return m
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}

func counters(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// collectors are the metrics always registered.
func (m *selfMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.buildInfo, m.reloadOK, m.reloadTimestamp, m.reloads, m.probes,
		m.webConns, m.webMaxConns, m.webRefused, m.webEvicted,
		m.run.Lag.(prometheus.Collector), m.run.InFlight, m.run.Wait,
		m.discovery.Targets, m.discovery.LastSuccess, m.discovery.Failing, m.discovery.Failures}
}

// pushCollectors are registered while a push target is configured.
func (m *selfMetrics) pushCollectors() []prometheus.Collector {
	return []prometheus.Collector{m.push.Pushes, m.push.Failures, m.push.LastSuccess}
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
	if Revision != "" {
		revision = Revision
	}
	return revision, bi.GoVersion
}

// oncallCollector exports the state of incidents and of the
// notifications to each Alertmanager, read at scrape time.
type oncallCollector struct {
	a *Agent
}

var (
	descIncidentsOpen = prometheus.NewDesc("sloagent_incidents_open", "Incidents open now.", nil, nil)
	descAMSent        = prometheus.NewDesc("sloagent_notifications_sent_total", "Alerts delivered to the Alertmanager (each resend counts).", []string{"alertmanager"}, nil)
	descAMFailed      = prometheus.NewDesc("sloagent_notifications_failed_total", "Alerts given up on after every retry; firing ones go again at the next resend.", []string{"alertmanager"}, nil)
	descAMDropped     = prometheus.NewDesc("sloagent_notifications_dropped_total", "Alerts pushed out of a full queue before they were sent.", []string{"alertmanager"}, nil)
	descAMRequests    = prometheus.NewDesc("sloagent_notification_requests_total", "Requests to the Alertmanager, retries included.", []string{"alertmanager"}, nil)
	descAMErrors      = prometheus.NewDesc("sloagent_notification_request_errors_total", "Requests to the Alertmanager that failed (network errors, non-2xx answers).", []string{"alertmanager"}, nil)
	descAMQueue       = prometheus.NewDesc("sloagent_notification_queue_length", "Alerts waiting to be sent to the Alertmanager.", []string{"alertmanager"}, nil)
)

func (c oncallCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descIncidentsOpen, descAMSent, descAMFailed, descAMDropped, descAMRequests, descAMErrors, descAMQueue} {
		ch <- d
	}
}

func (c oncallCollector) Collect(ch chan<- prometheus.Metric) {
	oc := c.a.oncall
	if oc == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descIncidentsOpen, prometheus.GaugeValue, float64(oc.incidents.OpenCount()))
	n := oc.notifier.Load()
	if n == nil {
		return
	}
	for _, s := range n.Stats() {
		ch <- prometheus.MustNewConstMetric(descAMSent, prometheus.CounterValue, float64(s.Sent), s.URL)
		ch <- prometheus.MustNewConstMetric(descAMFailed, prometheus.CounterValue, float64(s.Failed), s.URL)
		ch <- prometheus.MustNewConstMetric(descAMDropped, prometheus.CounterValue, float64(s.Dropped), s.URL)
		ch <- prometheus.MustNewConstMetric(descAMRequests, prometheus.CounterValue, float64(s.Requests), s.URL)
		ch <- prometheus.MustNewConstMetric(descAMErrors, prometheus.CounterValue, float64(s.Errors), s.URL)
		ch <- prometheus.MustNewConstMetric(descAMQueue, prometheus.GaugeValue, float64(s.Queued), s.URL)
	}
}
