package agent

import (
	"context"
	"fmt"
	"os"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/slo"
)

// applySLOs opens the SLO state on the first config and updates the SLOs on
// later ones. History is keyed by SLO name, so an SLO that stays keeps its
// budget and a changed objective is recomputed from the counts.
func (a *Agent) applySLOs(cfg *config.Config) error {
	if a.slo != nil {
		if a.cfg != nil && cfg.Agent.StateDir != a.cfg.Agent.StateDir {
			a.log.Warn("agent.state_dir changes take effect at the next start", "running", a.cfg.Agent.StateDir)
		}
		if err := a.slo.Update(cfg.SLOs); err != nil {
			return fmt.Errorf("slos: %w", err)
		}
		return a.applyOncall(cfg)
	}
	if err := checkWritable(cfg.Agent.StateDir); err != nil {
		return err
	}
	store, err := slo.OpenStore(cfg.Agent.StateDir, a.log)
	if err != nil {
		return fmt.Errorf("opening SLO state in %s: %w", cfg.Agent.StateDir, err)
	}
	eng, err := slo.NewEngine(cfg.SLOs, store, a.now, a.log)
	if err != nil {
		store.Close()
		return fmt.Errorf("slos: %w", err)
	}
	a.slo, a.sloStore = eng, store
	if err := a.applyOncall(cfg); err != nil {
		a.slo, a.sloStore = nil, nil
		store.Close()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	a.flushStop, a.flushDone = cancel, done
	go func() {
		defer close(done)
		if err := eng.Run(ctx, cfg.Agent.StateFlushInterval.D()); err != nil {
			a.log.Error("writing SLO state at exit failed", "err", err)
		}
	}()
	return nil
}

// checkWritable tells a state directory the agent cannot write to (a
// read-only mount, another owner) in words that say what to change.
func checkWritable(dir string) error {
	err := os.MkdirAll(dir, 0o750)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(dir, ".sloagent-write-check-"); err == nil {
			f.Close()
			err = os.Remove(f.Name())
		}
	}
	if err != nil {
		return fmt.Errorf("the state directory %s cannot be written (%w): the agent keeps SLO state and failure diagnostics there; give it a writable directory with agent.state_dir or --storage.path", dir, err)
	}
	return nil
}

// closeSLOs writes the SLO state a last time and closes the store.
func (a *Agent) closeSLOs() {
	if a.slo == nil {
		return
	}
	a.closeOncall()
	a.flushStop()
	<-a.flushDone
	if err := a.sloStore.Close(); err != nil {
		a.log.Error("closing SLO state", "err", err)
	}
}
