package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
)

// Plugin states, as the status page and logs show them.
const (
	StateStarting     = "starting"
	StateRunning      = "running"
	StateBackoff      = "backoff"      // waiting to restart after a failure
	StateCrashLooping = "crashlooping" // failed crashLoopAfter times in a row
	StateStopped      = "stopped"
)

// crashLoopAfter failures in a row mark a plugin as crash-looping: it is
// still restarted, but only every MaxRestartBackoff at most, and the state,
// the log and sloagent_plugin_crashlooping say so.
const crashLoopAfter = 5

// pollExit is how often a running plugin is checked for having exited; a
// failed call notices it sooner.
const pollExit = 200 * time.Millisecond

// instance supervises the one process of one plugin.
type instance struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context // cancelled by stop; kills the process
	cancel context.CancelFunc
	done   chan struct{}
	kick   chan kickReq

	mu       sync.Mutex
	state    string
	proc     *proc
	gen      int // increments with every start, so stale kicks are ignored
	lastErr  error
	failures int // in a row
	restarts int
	answered bool // the current process answered a call
	retryAt  time.Time
	changed  chan struct{} // closed on every state change
}

type kickReq struct {
	gen    int
	reason string
}

func newInstance(c Config, log *slog.Logger) *instance {
	ctx, cancel := context.WithCancel(context.Background())
	i := &instance{
		cfg: c, log: log.With("plugin", c.Name),
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
		kick: make(chan kickReq, 4), state: StateStarting, changed: make(chan struct{}),
	}
	go i.run()
	return i
}

func (i *instance) setState(state string, p *proc, err error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.state, i.proc = state, p
	if err != nil {
		i.lastErr = err
	}
	if p != nil {
		i.gen++
	}
	close(i.changed)
	i.changed = make(chan struct{})
}

func (i *instance) run() {
	defer close(i.done)
	for first := true; ; first = false {
		if !first {
			i.mu.Lock()
			i.restarts++
			i.mu.Unlock()
		}
		i.setState(StateStarting, nil, nil)
		began := time.Now()
		p, err := start(i.ctx, &i.cfg, i.log)
		if i.ctx.Err() != nil {
			if p != nil {
				p.kill()
			}
			i.setState(StateStopped, nil, nil)
			return
		}
		if err == nil {
			i.log.Info("plugin started", "pid", p.pid(), "name", p.info.Name, "version", p.info.Version)
			i.setState(StateRunning, p, nil)
			err = i.watch(p)
			p.kill()
			if i.ctx.Err() != nil {
				i.setState(StateStopped, nil, nil)
				return
			}
		}
		i.failed(err, time.Since(began))
		select {
		case <-time.After(time.Until(i.retryAt)):
		case <-i.ctx.Done():
			i.setState(StateStopped, nil, nil)
			return
		}
	}
}

// failed records a failure and schedules the restart.
func (i *instance) failed(err error, ran time.Duration) {
	i.mu.Lock()
	// A plugin that answered calls or ran for a while before failing is
	// not crash-looping: its backoff starts afresh.
	if i.answered || ran > time.Minute {
		i.failures = 0
	}
	i.answered = false
	i.failures++
	delay := conf.Backoff{First: i.cfg.RestartBackoff.D(), Max: i.cfg.MaxRestartBackoff.D()}.Delay(i.failures)
	i.retryAt = time.Now().Add(delay)
	n := i.failures
	i.mu.Unlock()
	state := StateBackoff
	if n >= crashLoopAfter {
		state = StateCrashLooping
	}
	i.setState(state, nil, err)
	lvl := slog.LevelWarn
	if n == crashLoopAfter {
		lvl = slog.LevelError
		err = fmt.Errorf("%w (failed %d times in a row; now restarting at most every %s)", err, n, i.cfg.MaxRestartBackoff)
	}
	i.log.Log(context.Background(), lvl, "plugin stopped", "state", state, "error", err, "failures", n, "restart_in", delay.Round(time.Millisecond))
}

// watch returns why the running plugin has to go.
func (i *instance) watch(p *proc) error {
	t := time.NewTicker(pollExit)
	defer t.Stop()
	i.mu.Lock()
	gen := i.gen
	i.mu.Unlock()
	for {
		select {
		case <-i.ctx.Done():
			return nil
		case k := <-i.kick:
			if k.gen == gen {
				return fmt.Errorf("plugin %q killed: %s", i.cfg.Name, k.reason)
			}
		case <-t.C:
			if p.client.Exited() {
				return fmt.Errorf("plugin %q exited: %s", i.cfg.Name, exitStatus(p))
			}
		}
	}
}

func exitStatus(p *proc) string {
	if p.run == nil {
		return "unknown status"
	}
	return p.run.status()
}

// restart asks for the plugin process of generation gen to be killed and
// restarted, because a call found it hung or broken.
func (i *instance) restart(gen int, reason string) {
	select {
	case i.kick <- kickReq{gen, reason}:
	default:
	}
}

// acquire returns the running plugin's client, waiting while it starts.
func (i *instance) acquire(ctx context.Context) (pluginv1.PluginClient, *pluginv1.DescribeResponse, int, error) {
	for {
		i.mu.Lock()
		state, p, gen, changed := i.state, i.proc, i.gen, i.changed
		lastErr, retryAt := i.lastErr, i.retryAt
		i.mu.Unlock()
		switch state {
		case StateRunning:
			return p.rpc, p.info, gen, nil
		case StateStarting:
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return nil, nil, 0, fmt.Errorf("plugin %q is still starting", i.cfg.Name)
			}
		case StateStopped:
			return nil, nil, 0, fmt.Errorf("plugin %q is stopped", i.cfg.Name)
		}
		return nil, nil, 0, fmt.Errorf("plugin %q is not running (%s, restart in %s): %v",
			i.cfg.Name, state, time.Until(retryAt).Round(time.Millisecond), lastErr)
	}
}

// answeredCall notes that generation gen answered a probe call.
func (i *instance) answeredCall(gen int) {
	i.mu.Lock()
	if gen == i.gen {
		i.answered = true
	}
	i.mu.Unlock()
}

// Status is a plugin's state for the status page.
type Status struct {
	Name      string
	State     string
	PID       int
	Version   string
	Restarts  int
	Failures  int // in a row
	LastError string
	RetryAt   time.Time
}

func (i *instance) status() Status {
	i.mu.Lock()
	defer i.mu.Unlock()
	s := Status{Name: i.cfg.Name, State: i.state, Restarts: i.restarts, Failures: i.failures}
	if i.proc != nil {
		s.PID = i.proc.pid()
		s.Version = i.proc.info.Version
	}
	if i.lastErr != nil {
		s.LastError = i.lastErr.Error()
	}
	if i.state == StateBackoff || i.state == StateCrashLooping {
		s.RetryAt = i.retryAt
	}
	return s
}

func (i *instance) stop() {
	i.cancel()
	<-i.done
}
