package agent

import (
	"context"
	"log/slog"
	"slices"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/agent/discovery"
)

// The agent's part of discovery: its sources follow the running config,
// and when what one finds changes, the config (as loaded, plus a probe for
// each target) is applied again through apply, as a reload is: probes
// that stay keep their state, schedule and SLO counts.

// startDiscovery makes the agent's discovery manager, whose changes are
// applied by a goroutine of their own: a source tells of a change without
// waiting, for applying takes reloadMu, which Reload holds while it
// updates the sources.
func (a *Agent) startDiscovery() {
	a.discOnce.Do(func() {
		wake := make(chan struct{}, 1)
		a.disc = discovery.NewManager(a.log, &a.self.discovery, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		ctx, cancel := context.WithCancel(context.Background())
		a.discStop = cancel
		a.discMade.Store(true)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-wake:
					a.rediscover()
				}
			}
		}()
	})
}

// withTargets is cfg with the probes of the targets discovered now, of
// this agent's shard. Targets that make no valid probe are logged when
// they are new.
func (a *Agent) withTargets(cfg *config.Config) *config.Config {
	if len(cfg.Discovery) == 0 {
		return cfg
	}
	full, errs := cfg.WithTargets(a.disc.Targets, a.opts.Shard.Keeps)
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
		if !slices.Contains(a.targetErrs, msgs[i]) {
			a.log.Warn("discovered target left out", "err", err)
		}
	}
	a.targetErrs = msgs
	return full
}

// rediscover applies the running config again with the targets found now.
func (a *Agent) rediscover() {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	if a.closing.Load() || a.base == nil {
		return
	}
	cfg := a.withTargets(a.base)
	if err := a.apply(cfg); err != nil {
		a.log.Error("discovered targets not applied; keeping the running probes", "err", err)
		return
	}
	a.log.Info("discovered targets applied", "probes", len(cfg.Probes))
}

// stopDiscovery ends the sources; under reloadMu.
func (a *Agent) stopDiscovery() {
	if a.disc != nil {
		a.discStop()
		a.disc.Stop()
	}
}

// discover returns cfg with the targets its sources find now, for the
// commands that run a config once; keep picks this agent's probes.
func discover(cfg *config.Config, log *slog.Logger, keep func(string) bool) *config.Config {
	if len(cfg.Discovery) == 0 {
		return cfg
	}
	m := discovery.NewManager(log, nil, func() {})
	m.Update(cfg.Sources())
	defer m.Stop()
	full, errs := cfg.WithTargets(m.Targets, keep)
	for _, err := range errs {
		log.Warn("discovered target left out", "err", err)
	}
	return full
}

// discovering reports whether the agent has a discovery manager, which,
// once made, stays.
func (a *Agent) discovering() bool { return a.discMade.Load() }
