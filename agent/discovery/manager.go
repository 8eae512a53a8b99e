package discovery

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Spec is a source as the config declares it.
type Spec struct {
	// Name names the source in logs, metrics and the status page.
	Name string
	// Key is the source's config: a source whose Key a new config keeps
	// keeps running, with its targets.
	Key string
	// New builds the source.
	New func() (Source, error)
	// Interval is how often the source is refreshed.
	Interval time.Duration
	// Limit, when above 0, is the most targets a refresh may find: one
	// that finds more fails and keeps the last targets, so that a source
	// gone wrong (a whole inventory where a team's list was meant) cannot
	// make the agent probe without end.
	Limit int
}

// Metrics are the sources' metrics, by source name; the agent registers
// them.
type Metrics struct {
	Targets     *prometheus.GaugeVec
	LastSuccess *prometheus.GaugeVec
	Failing     *prometheus.GaugeVec
	Failures    *prometheus.CounterVec
}

// Status is a source as the status page shows it.
type Status struct {
	Name        string
	Targets     int
	LastSuccess time.Time // zero until a refresh succeeds
	Error       string    // the last refresh's, empty when it succeeded
	Failures    int
}

// settle is how long a changed file is left before it is read, so that
// the events of one write (truncate, write, rename) make one read of the
// whole file.
const settle = 200 * time.Millisecond

// Manager runs the sources of a config: each is refreshed on its own
// schedule (and, for files, when they change), and keeps its last good
// targets while it fails.
type Manager struct {
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
	changed func()

	mu      sync.Mutex
	sources map[string]*source
}

type source struct {
	spec   Spec
	src    Source
	cancel context.CancelFunc
	done   chan struct{}

	mu          sync.Mutex
	targets     []Target
	found       bool // a refresh has succeeded
	lastErr     string
	lastSuccess time.Time
	failures    int
}

// NewManager returns a manager without sources. changed is called, from a
// source's goroutine, each time a running source's targets change; it must
// not wait for Update, which waits for the sources it stops.
func NewManager(log *slog.Logger, m *Metrics, changed func()) *Manager {
	return &Manager{log: log, metrics: m, now: time.Now, changed: changed, sources: map[string]*source{}}
}

// Update makes the sources those of specs: it keeps those whose spec is
// the same, stops those gone, and starts the new ones, returning once
// each new one has been refreshed (or has failed) for the first time, so
// that a config starts with its targets.
func (m *Manager) Update(specs []Spec) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := map[string]bool{}
	var started []*source
	for _, sp := range specs {
		keep[sp.Name] = true
		if old := m.sources[sp.Name]; old != nil {
			if old.spec.Key == sp.Key && old.spec.Limit == sp.Limit {
				continue
			}
			m.stop(old)
		}
		s := &source{spec: sp}
		m.sources[sp.Name] = s
		started = append(started, s)
	}
	for name, s := range m.sources {
		if !keep[name] {
			m.stop(s)
			delete(m.sources, name)
		}
	}
	var wg sync.WaitGroup
	ctxs := make([]context.Context, len(started))
	for i, s := range started {
		ctxs[i], s.cancel = context.WithCancel(context.Background())
		s.done = make(chan struct{})
		src, err := s.spec.New()
		if err != nil {
			m.failed(s, err)
			close(s.done)
			continue
		}
		s.src = src
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.refresh(ctxs[i], s)
		}()
	}
	wg.Wait()
	for i, s := range started {
		if s.src != nil {
			go m.run(ctxs[i], s)
		}
	}
}

// stop ends a source and takes its series away.
func (m *Manager) stop(s *source) {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
	if c, ok := s.src.(io.Closer); ok {
		_ = c.Close()
	}
	if m.metrics != nil {
		for _, v := range []*prometheus.GaugeVec{m.metrics.Targets, m.metrics.LastSuccess, m.metrics.Failing} {
			v.DeleteLabelValues(s.spec.Name)
		}
		m.metrics.Failures.DeleteLabelValues(s.spec.Name)
	}
}

// Stop ends every source.
func (m *Manager) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, s := range m.sources {
		m.stop(s)
		delete(m.sources, name)
	}
}

func (m *Manager) run(ctx context.Context, s *source) {
	defer close(s.done)
	wake := make(chan struct{}, 1)
	if w, ok := s.src.(Watcher); ok {
		go func() {
			err := w.Watch(ctx, func() {
				select {
				case wake <- struct{}{}:
				default:
				}
			})
			if err != nil && ctx.Err() == nil {
				m.log.Warn("cannot watch a discovery source; it is read every refresh_interval", "source", s.spec.Name, "err", err)
			}
		}()
	}
	t := time.NewTimer(s.spec.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
			select {
			case <-ctx.Done():
				return
			case <-time.After(settle):
			}
			select { // the events of the settling time are read now
			case <-wake:
			default:
			}
		}
		if m.refresh(ctx, s) {
			m.changed()
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(s.spec.Interval)
	}
}

// refresh asks the source for its targets and reports whether they
// changed. A failure keeps the last targets, and is logged when it is not
// the failure logged last.
func (m *Manager) refresh(ctx context.Context, s *source) bool {
	ts, err := s.src.Refresh(ctx)
	if ctx.Err() != nil {
		return false // stopped: not the source's failure
	}
	if err == nil && s.spec.Limit > 0 && len(ts) > s.spec.Limit {
		err = fmt.Errorf("found %d targets, more than target_limit %d", len(ts), s.spec.Limit)
	}
	if err != nil {
		m.failed(s, err)
		return false
	}
	s.mu.Lock()
	recovered := s.lastErr != ""
	changed := !s.found || !equal(ts, s.targets)
	s.targets, s.found, s.lastErr, s.lastSuccess = ts, true, "", m.now()
	s.mu.Unlock()
	if recovered {
		m.log.Info("discovery source recovered", "source", s.spec.Name, "targets", len(ts))
	}
	if changed {
		m.log.Info("discovered targets", "source", s.spec.Name, "targets", len(ts))
	}
	if m.metrics != nil {
		m.metrics.Targets.WithLabelValues(s.spec.Name).Set(float64(len(ts)))
		m.metrics.LastSuccess.WithLabelValues(s.spec.Name).Set(float64(m.now().UnixNano()) / 1e9)
		m.metrics.Failing.WithLabelValues(s.spec.Name).Set(0)
		m.metrics.Failures.WithLabelValues(s.spec.Name)
	}
	return changed
}

func (m *Manager) failed(s *source, err error) {
	s.mu.Lock()
	msg := err.Error()
	again := s.lastErr == msg
	s.lastErr = msg
	s.failures++
	n := len(s.targets)
	s.mu.Unlock()
	if !again {
		m.log.Warn("discovery source failing; keeping its last targets", "source", s.spec.Name, "targets", n, "err", err)
	}
	if m.metrics != nil {
		m.metrics.Targets.WithLabelValues(s.spec.Name).Set(float64(n))
		m.metrics.LastSuccess.WithLabelValues(s.spec.Name)
		m.metrics.Failing.WithLabelValues(s.spec.Name).Set(1)
		m.metrics.Failures.WithLabelValues(s.spec.Name).Inc()
	}
}

// Targets returns the last good targets of the source named name.
func (m *Manager) Targets(name string) []Target {
	m.mu.Lock()
	s := m.sources[name]
	m.mu.Unlock()
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.targets
}

// Status returns every source's state, by name.
func (m *Manager) Status() []Status {
	m.mu.Lock()
	out := make([]Status, 0, len(m.sources))
	for _, s := range m.sources {
		s.mu.Lock()
		out = append(out, Status{Name: s.spec.Name, Targets: len(s.targets), LastSuccess: s.lastSuccess, Error: s.lastErr, Failures: s.failures})
		s.mu.Unlock()
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
