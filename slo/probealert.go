package slo

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// ProbeAlertName is the alertname of a probe's own alert.
const ProbeAlertName = "ProbeFailing"

// DefaultProbeAlertFailures is how many consecutive failed runs fire a
// probe's alert when its config sets none: one failure is often a blip,
// three in a row rarely are.
const DefaultProbeAlertFailures = 3

// ProbeAlertConfig is a probe's own alert, for probes that no SLO counts:
// it fires when the probe has failed Failures runs in a row, held for
// For, and goes through the same lifecycle, logs and notifications as an
// SLO's alerts.
type ProbeAlertConfig struct {
	Failures   int               `yaml:"failures,omitempty"`
	For        conf.Duration     `yaml:"for,omitempty"`
	Severity   string            `yaml:"severity,omitempty"`
	RunbookURL string            `yaml:"runbook_url,omitempty"`
	Labels     map[string]string `yaml:"labels,omitempty"`
}

// ApplyDefaults fills what the config leaves unset.
func (c *ProbeAlertConfig) ApplyDefaults() {
	if c.Failures == 0 {
		c.Failures = DefaultProbeAlertFailures
	}
	if c.Severity == "" {
		c.Severity = "page"
	}
}

// Validate records the config's problems, fields relative to it.
func (c *ProbeAlertConfig) Validate(r conf.Report) {
	if c.Failures < 0 {
		r.Errorf("failures", "must be at least 1 (got %d)", c.Failures)
	}
	if c.For < 0 || c.For.D() > maxAlertWindow {
		r.Errorf("for", "must be between 0 and %s (got %s)", conf.Duration(maxAlertWindow), c.For)
	}
	if c.Severity != "" && !slices.Contains(severities, c.Severity) {
		r.Errorf("severity", "unknown severity %q (use page or ticket)", c.Severity)
	}
	validateRunbookURL(r, c.RunbookURL)
	validateAlertLabels(r.At("labels"), c.Labels)
}

// ProbeAlerts holds the alerts of the probes that have one. Observe is
// called with every run of any probe; Evaluate moves the lifecycles on.
type ProbeAlerts struct {
	store *Store
	log   *slog.Logger

	mu     sync.Mutex
	probes map[string]*probeAlert
	gone   []Transition // of probes whose alert was removed
}

type probeAlert struct {
	cfg  ProbeAlertConfig
	life Lifecycle
	// seen is set at the probe's first run in this process: until then a
	// stored firing alert keeps firing, for its streak is not known.
	seen    bool
	streak  int
	reasons map[string]int // of the current streak
	last    Alert
}

// NewProbeAlerts returns probe alerts kept in store (nil: kept nowhere).
func NewProbeAlerts(store *Store, log *slog.Logger) *ProbeAlerts {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ProbeAlerts{store: store, log: log, probes: map[string]*probeAlert{}}
}

func probeAlertKey(probe string) string { return "\x00probe\x00" + probe }

// Configure sets the probes' alert configs at now, with defaults applied:
// probes that keep an alert keep its state, new ones start from what the
// store kept, removed ones are resolved (reported by the next evaluation).
func (p *ProbeAlerts) Configure(cfgs map[string]ProbeAlertConfig, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, pa := range p.probes {
		if _, ok := cfgs[name]; ok {
			continue
		}
		delete(p.probes, name)
		if pa.life.State == AlertPending || pa.life.State == AlertFiring {
			from, _ := pa.life.Step(false, now, 0)
			a := pa.last
			a.Lifecycle = pa.life
			a.Description = "Probe " + name + " no longer has an alert in the configuration."
			p.gone = append(p.gone, Transition{Alert: a, From: from})
		}
		if p.store != nil {
			if err := p.store.deleteAlerts([]string{probeAlertKey(name)}); err != nil {
				p.log.Warn("forgetting a probe's alert state failed", "probe", name, "err", err)
			}
		}
	}
	for name, cfg := range cfgs {
		cfg.ApplyDefaults()
		if pa := p.probes[name]; pa != nil {
			if pa.cfg.Severity != cfg.Severity {
				pa.life = Lifecycle{}
			}
			pa.cfg = cfg
			continue
		}
		pa := &probeAlert{cfg: cfg, reasons: map[string]int{}}
		if p.store != nil {
			kept, err := p.store.loadAlerts(probeAlertKey(name))
			if err != nil {
				p.log.Error("reading a probe's alert state failed; it starts inactive", "probe", name, "err", err)
			}
			pa.life = kept[cfg.Severity]
		}
		pa.last = Alert{Name: ProbeAlertName, Probe: name, Severity: cfg.Severity, Lifecycle: pa.life}
		p.probes[name] = pa
	}
}

// maxStreakReasons bounds the reasons counted per streak.
const maxStreakReasons = 16

// Observe counts a run of a probe towards its alert, if it has one.
func (p *ProbeAlerts) Observe(probe string, success bool, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pa := p.probes[probe]
	if pa == nil {
		return
	}
	pa.seen = true
	if success {
		pa.streak = 0
		clear(pa.reasons)
		return
	}
	pa.streak++
	if reason == "" {
		reason = reasonUnknown
	}
	if _, ok := pa.reasons[reason]; ok || len(pa.reasons) < maxStreakReasons {
		pa.reasons[reason]++
	}
}

// Evaluate moves every probe alert's lifecycle to now, writes the changed
// ones to the store, logs and returns the transitions, by probe name.
func (p *ProbeAlerts) Evaluate(now time.Time) []Transition {
	p.mu.Lock()
	out := p.gone
	p.gone = nil
	var changed []alertRecord
	for _, name := range slices.Sorted(maps.Keys(p.probes)) {
		pa := p.probes[name]
		if !pa.seen {
			continue
		}
		from, moved := pa.life.Step(pa.streak >= pa.cfg.Failures, now, pa.cfg.For.D())
		pa.last = pa.alert(name)
		if moved {
			out = append(out, Transition{Alert: pa.last, From: from})
			changed = append(changed, alertRecord{probeAlertKey(name), pa.cfg.Severity, pa.life})
		}
	}
	p.mu.Unlock()
	recordTransitions(p.store, p.log, "probe", changed, out)
	return out
}

// alert builds the probe's alert. p.mu is held.
func (pa *probeAlert) alert(name string) Alert {
	a := Alert{Name: ProbeAlertName, Probe: name, Severity: pa.cfg.Severity, Lifecycle: pa.life, Failures: pa.streak,
		RunbookURL: pa.cfg.RunbookURL, Labels: maps.Clone(pa.cfg.Labels)}
	for r, n := range pa.reasons {
		a.Reasons = append(a.Reasons, ReasonCount{r, n})
	}
	slices.SortFunc(a.Reasons, func(x, y ReasonCount) int {
		if x.Count != y.Count {
			return y.Count - x.Count
		}
		return strings.Compare(x.Reason, y.Reason)
	})
	if len(a.Reasons) > topReasons {
		a.Reasons = a.Reasons[:topReasons]
	}
	a.Summary = "Probe " + name + " is failing"
	a.Description = fmt.Sprintf("Probe %s failed its last %d runs (alert after %d).", name, pa.streak, pa.cfg.Failures)
	if len(a.Reasons) > 0 {
		a.Description = fmt.Sprintf("Probe %s failed its last %d runs (alert after %d): %s.", name, pa.streak, pa.cfg.Failures, ReasonsText(a.Reasons))
	}
	return a
}

// Alerts returns every probe alert as the last evaluation left it, by
// probe name.
func (p *ProbeAlerts) Alerts() []Alert {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Alert, 0, len(p.probes))
	for _, name := range slices.Sorted(maps.Keys(p.probes)) {
		a := p.probes[name].last
		a.Reasons = slices.Clone(a.Reasons)
		a.Labels = maps.Clone(a.Labels)
		out = append(out, a)
	}
	return out
}
