package agent

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/incident"
	"github.com/sloagent/sloagent/internal/times"
	"github.com/sloagent/sloagent/notify"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/slo"
)

// oncall is what the agent does for the people on call: the probes' own
// alerts, incidents, notifications to Alertmanagers, and the loop that
// evaluates the alerts and hands their transitions on.
type oncall struct {
	probeAlerts *slo.ProbeAlerts
	incidents   *incident.Tracker
	store       *incident.Store

	notifyCfg  notify.Config
	notifier   atomic.Pointer[notify.Notifier] // nil without Alertmanagers
	notifyStop context.CancelFunc
	notifyDone chan struct{}

	every    time.Duration
	loopStop context.CancelFunc
	loopDone chan struct{}
}

// applyOncall sets up (on the first config) and reconfigures the on-call
// parts; the SLO engine and its store exist already.
func (a *Agent) applyOncall(cfg *config.Config) error {
	oc := a.oncall
	if oc == nil {
		store, err := incident.OpenStore(cfg.Agent.StateDir, a.log)
		if err != nil {
			return fmt.Errorf("opening incidents in %s: %w", cfg.Agent.StateDir, err)
		}
		tr, err := incident.NewTracker(cfg.Incidents, incident.Source{Agent: cfg.Agent.Name, Location: cfg.Agent.Location},
			store, a.slo, a.now, a.log)
		if err != nil {
			store.Close()
			return err
		}
		oc = &oncall{probeAlerts: slo.NewProbeAlerts(a.sloStore, a.log), incidents: tr, store: store}
		if err := a.applyNotifications(oc, cfg); err != nil {
			store.Close()
			return err
		}
		a.oncall = oc
	} else if err := a.applyNotifications(oc, cfg); err != nil {
		return err
	}
	own := map[string]slo.ProbeAlertConfig{}
	for _, p := range cfg.Probes {
		if p.Alert != nil {
			own[p.Name] = *p.Alert
		}
	}
	oc.probeAlerts.Configure(own, a.now())
	oc.incidents.Configure(cfg.Incidents)
	if every := cfg.Alerting.EvaluationInterval.D(); every != oc.every {
		a.stopAlertLoop()
		oc.every = every
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		oc.loopStop, oc.loopDone = cancel, done
		go func() {
			defer close(done)
			times.Every(ctx, every, func(time.Time) { a.evaluateAlerts() })
		}()
	}
	return nil
}

// applyNotifications starts a notifier for the config's Alertmanagers,
// replacing the running one when they changed.
func (a *Agent) applyNotifications(oc *oncall, cfg *config.Config) error {
	if oc.notifier.Load() != nil && reflect.DeepEqual(oc.notifyCfg, cfg.Notifications) {
		return nil
	}
	var n *notify.Notifier
	if cfg.Notifications.Enabled() {
		var err error
		n, err = notify.New(cfg.Notifications, notify.Source{Agent: cfg.Agent.Name, Location: cfg.Agent.Location,
			ExternalURL: a.externalURL(), Incident: oc.incidents.IncidentOf}, a.log)
		if err != nil {
			return fmt.Errorf("notifications: %w", err)
		}
	}
	stopNotifier(oc)
	oc.notifier.Store(n)
	oc.notifyCfg = cfg.Notifications
	if n != nil {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		oc.notifyStop, oc.notifyDone = cancel, done
		go func() { defer close(done); n.Run(ctx) }()
		a.log.Info("sending alerts to Alertmanager", "alertmanagers", strings.Join(n.Targets(), ","))
	}
	return nil
}

// externalURL is the agent's URL for links in notifications.
func (a *Agent) externalURL() string {
	if a.opts.ExternalURL != "" {
		return a.opts.ExternalURL
	}
	return "http://" + a.webAddr.Load().(string) + "/"
}

// evaluateAlerts evaluates every alert once: transitions are logged (by
// the engine), go to the incidents, and the alerts due to Alertmanager.
func (a *Agent) evaluateAlerts() {
	oc := a.oncall
	if oc == nil || a.slo == nil {
		return
	}
	now := a.now()
	ts := a.slo.EvaluateAlerts()
	ts = append(ts, oc.probeAlerts.Evaluate(now)...)
	oc.incidents.Alerts(ts)
	oc.incidents.Tick()
	if n := oc.notifier.Load(); n != nil {
		n.Update(now, a.alerts())
	}
}

// alerts are every SLO's and probe's alerts as last evaluated.
func (a *Agent) alerts() []slo.Alert {
	out := a.slo.Alerts()
	if a.oncall != nil {
		out = append(out, a.oncall.probeAlerts.Alerts()...)
	}
	return out
}

// recordOncall hands a run to the probe's alert and the incidents.
func (a *Agent) recordOncall(name string, labels map[string]string, res probes.Result, start time.Time) {
	oc := a.oncall
	if oc == nil {
		return
	}
	oc.probeAlerts.Observe(name, res.Success, res.Reason)
	// Incidents are kept and shown for long: a message that quotes a
	// secret (a target's URL, what a check printed) is kept without it.
	run := incident.Run{Probe: name, Time: start, Success: res.Success, Reason: res.Reason,
		Message: a.redact.Load().String(res.Message), Duration: res.Duration, Diagnostics: res.Diagnostics, SLOs: a.slo.SLOsOf(name, labels)}
	if !res.Success {
		run.Phases = phases(res.Samples) // where a failed run hung; a passing run's are not kept
	}
	oc.incidents.Record(run)
}

// phases are a failed run's timing phases: its samples with a phase label
// and a name ending in _duration_seconds.
func phases(samples []probes.Sample) []incident.Phase {
	var out []incident.Phase
	for _, s := range samples {
		if !strings.HasSuffix(s.Name, "_duration_seconds") {
			continue
		}
		for _, l := range s.Labels {
			if l.Name == "phase" {
				out = append(out, incident.Phase{Name: l.Value, Duration: time.Duration(s.Value * float64(time.Second))})
			}
		}
	}
	return out
}

func (a *Agent) stopAlertLoop() {
	if oc := a.oncall; oc != nil && oc.loopStop != nil {
		oc.loopStop()
		<-oc.loopDone
		oc.loopStop = nil
	}
}

func stopNotifier(oc *oncall) {
	if oc.notifyStop != nil {
		oc.notifyStop()
		<-oc.notifyDone
		oc.notifyStop = nil
	}
}

// closeOncall stops the loop and the notifier and writes the incidents a
// last time.
func (a *Agent) closeOncall() {
	oc := a.oncall
	if oc == nil {
		return
	}
	a.stopAlertLoop()
	stopNotifier(oc)
	oc.incidents.Tick()
	if err := oc.store.Close(); err != nil {
		a.log.Error("closing incidents", "err", err)
	}
}
