package push

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Metrics count the daemon's pushes, by target. The agent owns the series,
// with its other health metrics.
type Metrics struct {
	Pushes, Failures *prometheus.CounterVec
	LastSuccess      *prometheus.GaugeVec
}

// Loop pushes the agent's metrics every push.interval of the running
// config.
type Loop struct {
	// Current returns the running config's push section and the agent's
	// name; a new pointer means a new config. nil: no config yet.
	Current func() (*Config, string)
	// Gather gathers everything the agent exports.
	Gather  func() ([]*dto.MetricFamily, error)
	Now     func() time.Time
	Log     *slog.Logger
	Metrics *Metrics
}

// Start pushes until ctx is done, then once more so the last runs arrive
// too. The returned function stops it and waits for that last push.
func (l *Loop) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.run(ctx)
	}()
	return func() { cancel(); <-done }
}

// idleRecheck is how often a daemon that does not push looks whether a
// reloaded config asks it to.
const idleRecheck = 5 * time.Second

func (l *Loop) run(ctx context.Context) {
	var (
		p     *Pusher
		built *Config
	)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		cfg, agent := l.Current()
		if cfg != built {
			if p != nil {
				p.Close()
			}
			built, p = cfg, nil
			if cfg != nil && cfg.Interval > 0 {
				var err error
				if p, err = New(*cfg, agent, l.Log); err != nil {
					l.Log.Error("push disabled: its config does not work", "err", err)
				} else {
					l.Log.Info("pushing metrics", "targets", p.Targets(), "interval", cfg.Interval)
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
				l.pushNow(final, p)
				cancel()
				p.Close()
			}
			return
		case <-timer.C:
		}
		if p != nil {
			// A push may retry, but not into the next one.
			pctx, cancel := context.WithTimeout(ctx, max(p.cfg.Interval.D(), p.cfg.Timeout.D()))
			l.pushNow(pctx, p)
			cancel()
		}
	}
}

// pushNow gathers the agent's metrics and pushes them to each target.
func (l *Loop) pushNow(ctx context.Context, p *Pusher) {
	mfs, err := l.Gather()
	if err != nil {
		l.Log.Warn("gathering metrics to push; pushing what was gathered", "err", err)
	}
	b := Batch{Families: mfs, At: l.Now()}
	// Targets are pushed to at once, so one that is down and retrying
	// does not hold back the other.
	var wg sync.WaitGroup
	for _, target := range p.Targets() {
		wg.Go(func() {
			l.Metrics.Pushes.WithLabelValues(target).Inc()
			if err := p.PushTo(ctx, target, b); err != nil {
				l.Metrics.Failures.WithLabelValues(target).Inc()
				l.Log.Error("push failed", "target", target, "err", err)
				return
			}
			l.Metrics.LastSuccess.WithLabelValues(target).Set(float64(l.Now().UnixNano()) / 1e9)
		})
	}
	wg.Wait()
}
