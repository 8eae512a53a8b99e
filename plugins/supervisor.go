// Package plugins runs probe plugins: separate executables that speak the
// sloagent.plugin.v1 gRPC service through hashicorp/go-plugin. The
// Supervisor keeps one long-lived process per configured plugin, restarts it
// with exponential backoff when it exits, hangs or fails to start, and hands
// out Probers that call it with each run's deadline. Plugin authors import
// plugins/sdk; plugins/README.md documents the protocol for other languages.
package plugins

import (
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sloagent/sloagent/probes"
)

// Supervisor owns the plugin processes.
type Supervisor struct {
	metrics  *metrics
	log      *slog.Logger
	reserved func(string) bool

	mu        sync.Mutex
	instances map[string]*instance
}

// NewSupervisor starts every plugin of cs in the background; probes that run
// before a plugin is up wait for it within their deadline. cs must have been
// defaulted and validated.
func NewSupervisor(cs []Config, log *slog.Logger) *Supervisor {
	s := &Supervisor{instances: map[string]*instance{}, metrics: newMetrics(), log: log}
	s.metrics.sup = s
	for _, c := range cs {
		c.Defaults()
		s.instances[c.Name] = newInstance(c, log)
	}
	return s
}

// Prober returns a prober that runs pc on target through its plugin.
func (s *Supervisor) Prober(probe, target string, pc *ProbeConfig) (probes.Prober, error) {
	s.mu.Lock()
	i, ok := s.instances[pc.Name]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no plugin named %q", pc.Name)
	}
	settings, err := settingsJSON(pc.Settings)
	if err != nil {
		return nil, fmt.Errorf("plugin settings: %w", err)
	}
	return &prober{inst: i, probe: probe, target: target, settings: settings,
		calls: s.metrics.calls.WithLabelValues(pc.Name), reserved: s.reserved}, nil
}

// ReserveNames keeps plugins from metric names reserved reports, beside
// the agent's own: those of the built-in probe kinds. Call it before the
// first Prober.
func (s *Supervisor) ReserveNames(reserved func(string) bool) *Supervisor {
	s.reserved = reserved
	return s
}

// Collector exports sloagent_plugin_up, sloagent_plugin_restarts_total,
// sloagent_plugin_crashlooping and sloagent_plugin_call_duration_seconds.
func (s *Supervisor) Collector() prometheus.Collector { return s.metrics }

// Status returns every plugin's state, sorted by name.
func (s *Supervisor) Status() []Status {
	list := s.list()
	out := make([]Status, 0, len(list))
	for _, i := range list {
		out = append(out, i.status())
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Close kills every plugin process and waits for the supervision to end.
func (s *Supervisor) Close() error {
	list := s.list()
	for _, i := range list {
		i.cancel()
	}
	for _, i := range list {
		<-i.done
	}
	return nil
}

// Update applies a reloaded plugins list: a plugin whose entry did not
// change keeps its process, a changed one is restarted, a removed one is
// stopped. Probers of changed and removed plugins fail from then on with
// plugin_unavailable; get new ones from Prober.
func (s *Supervisor) Update(cs []Config) {
	s.mu.Lock()
	old, next := s.instances, map[string]*instance{}
	for _, c := range cs {
		c.Defaults()
		if i, ok := old[c.Name]; ok && reflect.DeepEqual(i.cfg, c) {
			next[c.Name] = i
			continue
		}
		next[c.Name] = newInstance(c, s.log)
	}
	s.instances = next
	s.mu.Unlock()
	for name, i := range old {
		if next[name] != i {
			i.stop()
		}
	}
}

func (s *Supervisor) list() []*instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*instance, 0, len(s.instances))
	for _, i := range s.instances {
		out = append(out, i)
	}
	return out
}

// String names the plugins, for logs.
func (s *Supervisor) String() string {
	var names []string
	for _, i := range s.list() {
		names = append(names, i.cfg.Name)
	}
	sort.Strings(names)
	return "plugins[" + strings.Join(names, ",") + "]"
}
