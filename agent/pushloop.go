package agent

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// pushMetrics count the daemon's pushes. They are registered only while a
// push target is configured.
type pushMetrics struct {
	pushes, failures *prometheus.CounterVec
	lastSuccess      *prometheus.GaugeVec
}

func newPushMetrics() *pushMetrics {
	return &pushMetrics{
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sloagent_pushes_total",
			Help: "Pushes of the agent's metrics attempted, by target (remote_write, pushgateway); retries within one push are not counted.",
		}, []string{"target"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sloagent_push_failures_total",
			Help: "Pushes that failed after all their retries, by target.",
		}, []string{"target"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sloagent_push_last_success_timestamp_seconds",
			Help: "When a push to the target last succeeded, as a Unix time.",
		}, []string{"target"}),
	}
}

// fleetCollectors are the metrics of sharding and pushing, for the
// registry of a config generation.
func (a *Agent) fleetCollectors(cfg *Config) []prometheus.Collector {
	var cs []prometheus.Collector
	if a.opts.Shard.sharded() {
		cs = append(cs, a.opts.Shard.collector())
	}
	if cfg.Push.enabled() {
		cs = append(cs, a.pushm.pushes, a.pushm.failures, a.pushm.lastSuccess)
	}
	return cs
}

// startPush pushes the agent's metrics every push.interval of the running
// config until ctx is done, then once more so the last runs arrive too.
// The returned function stops it and waits for that last push.
func (a *Agent) startPush(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.pushLoop(ctx)
	}()
	return func() { cancel(); <-done }
}

// idleRecheck is how often a daemon that does not push looks whether a
// reloaded config asks it to.
const idleRecheck = 5 * time.Second

func (a *Agent) pushLoop(ctx context.Context) {
	var (
		p     *pusher
		built *Config
	)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		cfg := a.config()
		if cfg != built {
			if p != nil {
				p.close()
			}
			built, p = cfg, nil
			if cfg != nil && cfg.Push.Interval > 0 {
				var err error
				if p, err = newPusher(cfg.Push, cfg.Agent.Name, a.log); err != nil {
					a.log.Error("push disabled: its config does not work", "err", err)
				} else {
					a.log.Info("pushing metrics", "targets", p.targets(), "interval", cfg.Push.Interval)
				}
			}
		}
		wait := idleRecheck
		if p != nil {
			wait = p.cfg.Interval.D()
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			if p != nil {
				final, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout.D())
				a.pushNow(final, p)
				cancel()
				p.close()
			}
			return
		case <-timer.C:
		}
		if p != nil {
			// A push may retry, but not into the next one.
			pctx, cancel := context.WithTimeout(ctx, max(p.cfg.Interval.D(), p.cfg.Timeout.D()))
			a.pushNow(pctx, p)
			cancel()
		}
	}
}

// pushNow gathers the agent's metrics and pushes them to each target.
func (a *Agent) pushNow(ctx context.Context, p *pusher) {
	mfs, err := a.Gatherer().Gather()
	if err != nil {
		a.log.Warn("gathering metrics to push; pushing what was gathered", "err", err)
	}
	b := pushBatch{families: mfs, at: a.now()}
	// Targets are pushed to at once, so one that is down and retrying
	// does not hold back the other.
	var wg sync.WaitGroup
	for _, target := range p.targets() {
		wg.Go(func() {
			a.pushm.pushes.WithLabelValues(target).Inc()
			if err := p.pushTo(ctx, target, b); err != nil {
				a.pushm.failures.WithLabelValues(target).Inc()
				a.log.Error("push failed", "target", target, "err", err)
				return
			}
			a.pushm.lastSuccess.WithLabelValues(target).Set(float64(a.now().UnixNano()) / 1e9)
		})
	}
	wg.Wait()
}
