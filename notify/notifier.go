// Package notify sends the agent's alerts to Alertmanager's v2 API, as
// Prometheus' notifier does: firing alerts are sent when they fire and
// again every resend interval (each ending four intervals later, so that
// an Alertmanager resolves them if the agent dies), resolved ones when
// they are resolved and again for a while, to one or more Alertmanagers,
// each with its own queue, retries and counters.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sloagent/sloagent/slo"
)

// Notifier decides which alerts are due and hands them to every
// Alertmanager's sender.
type Notifier struct {
	cfg     Config
	src     Source
	log     *slog.Logger
	targets []*target

	mu   sync.Mutex
	sent map[string]*sent // by the alert's labels
}

// sent is what was last sent of an alert.
type sent struct {
	state       slo.AlertState
	at          time.Time
	firingSince time.Time
	resolvedAt  time.Time
	alert       postable
}

// New builds a notifier for cfg (defaults applied, validated). Run sends.
func New(cfg Config, src Source, log *slog.Logger) (*Notifier, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{cfg: cfg, src: src, log: log, sent: map[string]*sent{}}
	for i := range cfg.Alertmanagers {
		t, err := newTarget(&cfg.Alertmanagers[i], &n.cfg, log)
		if err != nil {
			return nil, fmt.Errorf("alertmanagers[%d]: %w", i, err)
		}
		n.targets = append(n.targets, t)
	}
	return n, nil
}

// validity is how long a firing alert lasts unless sent again.
func (n *Notifier) validity() time.Duration { return 4 * n.cfg.ResendInterval.D() }

// Update takes every alert as the last evaluation left them (an SLO's,
// a probe's) at now and queues those due: a firing alert when it fires
// and every resend interval, a resolved one when it is resolved and every
// resend interval for slo.ResolvedRetention. An alert sent as firing that
// is no longer in the list (its SLO was removed) is sent resolved.
// Pending and inactive alerts are not sent.
func (n *Notifier) Update(now time.Time, alerts []slo.Alert) {
	resend := n.cfg.ResendInterval.D()
	n.mu.Lock()
	seen := make(map[string]bool, len(alerts))
	var due []postable
	for i := range alerts {
		a := &alerts[i]
		if a.State != slo.AlertFiring && a.State != slo.AlertResolved {
			continue
		}
		p := n.src.postable(a, now.Add(n.validity()))
		k := key(p.Labels)
		seen[k] = true
		s := n.sent[k]
		// A resolved alert goes out even if this process never sent it
		// firing (it was resolved at the first evaluation after a
		// restart): an Alertmanager that never notified it as firing
		// does not notify it as resolved either.
		if a.State == slo.AlertResolved && now.Sub(a.ResolvedAt) >= slo.ResolvedRetention {
			continue
		}
		if s != nil && s.state == a.State && s.firingSince.Equal(a.FiringSince) && now.Sub(s.at) < resend {
			continue
		}
		due = append(due, p)
		n.sent[k] = &sent{state: a.State, at: now, firingSince: a.FiringSince, resolvedAt: a.ResolvedAt, alert: p}
	}
	for k, s := range n.sent {
		if seen[k] {
			continue
		}
		switch {
		case s.state == slo.AlertFiring:
			s.state, s.resolvedAt = slo.AlertResolved, now
			s.alert.EndsAt = now
		case now.Sub(s.resolvedAt) >= slo.ResolvedRetention:
			delete(n.sent, k)
			continue
		case now.Sub(s.at) < resend:
			continue
		}
		s.at = now
		due = append(due, s.alert)
	}
	n.mu.Unlock()
	if len(due) == 0 {
		return
	}
	for _, t := range n.targets {
		t.enqueue(due)
	}
}

// Run sends queued alerts to every Alertmanager until ctx is done.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, t := range n.targets {
		wg.Go(func() { t.run(ctx) })
	}
	wg.Wait()
	for _, t := range n.targets {
		t.client.CloseIdleConnections()
	}
}

// Stats returns each Alertmanager's counters, in config order.
func (n *Notifier) Stats() []TargetStats {
	out := make([]TargetStats, len(n.targets))
	for i, t := range n.targets {
		out[i] = t.stats()
	}
	return out
}

// Targets lists the Alertmanagers' URLs, in config order.
func (n *Notifier) Targets() []string {
	out := make([]string, len(n.targets))
	for i, t := range n.targets {
		out[i] = strings.TrimSuffix(t.url, alertsPath)
	}
	return out
}
