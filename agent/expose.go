package agent

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/semaphore"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/internal/expo"
	"github.com/sloagent/sloagent/slo"
)

// exposition is what /metrics serves for one config generation: the
// registry's families (the agent's own, Go's), then the SLOs' and the
// probes' series written straight from their state (see package expo).
// Gatherer() still gathers everything through a full registry.
func (a *Agent) exposition(rest prometheus.Gatherer, probes *probeCollector, labels prometheus.Labels) *expo.Exposition {
	e := &expo.Exposition{Rest: rest}
	if eng := a.slo; eng != nil {
		base := labelSet(labels)
		e.Sources = append(e.Sources, func(enc expo.Encoder, taken map[string]bool) error {
			for _, f := range slo.Families() {
				taken[f.Name] = true
			}
			return eng.Write(enc, base)
		})
	}
	e.Sources = append(e.Sources, probes.write)
	return e
}

// scrapeBudget is how many probes' series the /metrics responses being
// written may hold copies of at once (some 400 bytes each, so some 60 MB):
// a response holds its copy until its client has read it all, and clients
// that stop reading must not multiply that by the connection limit. A
// scrape that would pass the budget waits for others to end: 160 scrapes
// fit at once at 1,000 probes, 16 at 10,000.
const scrapeBudget = 160_000

// metricsHandler serves /metrics from the exposition, and from the
// registry through promhttp before the first config is applied.
func (a *Agent) metricsHandler() http.Handler {
	slow := promhttp.HandlerFor(gathererFunc(a.gather), promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
	budget := a.scrapeBudget
	if budget <= 0 {
		budget = scrapeBudget
	}
	held := semaphore.NewWeighted(budget)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.RLock()
		n := min(int64(len(a.states))+1, budget)
		a.mu.RUnlock()
		if err := held.Acquire(r.Context(), n); err != nil {
			return // the scraper went away while it waited
		}
		defer held.Release(n)
		if e := a.expo.Load(); e != nil {
			e.ServeHTTP(w, r, a.log)
			return
		}
		slow.ServeHTTP(w, r)
	})
}

// agentLabels are the labels of every series the agent exports.
func agentLabels(cfg *config.Config) prometheus.Labels {
	labels := prometheus.Labels{"agent": cfg.Agent.Name}
	if cfg.Agent.Location != "" {
		labels["location"] = cfg.Agent.Location
	}
	for k, v := range cfg.Agent.Labels {
		labels[k] = v
	}
	return labels
}

// labelSet is labels as an exposition label set.
func labelSet(labels prometheus.Labels) *expo.Labels {
	names := make([]string, 0, len(labels))
	values := make([]string, 0, len(labels))
	for k, v := range labels {
		names, values = append(names, k), append(values, v)
	}
	return expo.NewLabels(names, values)
}
