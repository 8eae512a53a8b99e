package plugins

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin/runner"

	"github.com/sloagent/sloagent/internal/proctree"
	"github.com/sloagent/sloagent/plugins/sdk"
)

// headSize is how much of a plugin's first output is kept, to say what it
// printed when that was not a handshake.
const headSize = 512

// procRunner starts a plugin for go-plugin through proctree, so that
// everything the plugin starts ends with it (also when the agent is killed),
// and keeps the start of its stdout for the error when the handshake fails.
type procRunner struct {
	path string
	args []string
	env  []string
	ctx  context.Context // kills the plugin when done, also later

	proc   *proctree.Proc
	stdout *headReader
	stderr *os.File
}

var _ runner.Runner = (*procRunner)(nil)

// runnerFunc returns go-plugin's RunnerFunc for c; go-plugin's cmd brings
// the handshake's environment.
func runnerFunc(ctx context.Context, c *Config) func(hclog.Logger, *exec.Cmd, string) (runner.Runner, error) {
	return func(_ hclog.Logger, cmd *exec.Cmd, _ string) (runner.Runner, error) {
		return &procRunner{path: c.Command, args: append([]string{c.Command}, c.Args...),
			env: append(environ(c), cmd.Env...), ctx: ctx}, nil
	}
}

func (r *procRunner) Start(context.Context) error {
	proc, stdout, stderr, err := proctree.StartPiped(proctree.Spec{Path: r.path, Args: r.args, Env: r.env,
		ParentPIDEnv: sdk.AgentPIDEnv})
	if err != nil {
		return err
	}
	r.proc, r.stdout, r.stderr = proc, &headReader{f: stdout}, stderr
	go func() {
		select {
		case <-r.ctx.Done():
			r.proc.Kill()
		case <-r.proc.Done():
		}
	}()
	return nil
}

// Wait waits for the plugin's tree to be gone.
func (r *procRunner) Wait(context.Context) error {
	st, err := r.proc.Wait()
	if err != nil {
		return err
	}
	if !st.Success() {
		return errors.New(st.String())
	}
	return nil
}

// Kill kills the plugin and everything it started.
func (r *procRunner) Kill(context.Context) error {
	if r.proc != nil {
		r.proc.Kill()
	}
	return nil
}

func (r *procRunner) Stdout() io.ReadCloser { return r.stdout }
func (r *procRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *procRunner) Name() string          { return r.path }

func (r *procRunner) ID() string {
	if r.proc == nil {
		return ""
	}
	return strconv.Itoa(r.proc.Pid())
}

// Diagnose adds nothing to go-plugin's message: startError says what the
// plugin printed instead.
func (r *procRunner) Diagnose(context.Context) string { return "" }

func (r *procRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *procRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *procRunner) pid() int {
	if r.proc == nil {
		return 0
	}
	return r.proc.Pid()
}

// status says how the plugin ended, once it has.
func (r *procRunner) status() string {
	if r.proc == nil {
		return "not started"
	}
	select {
	case <-r.proc.Done():
	default:
		return "still running"
	}
	st, err := r.proc.Wait()
	if err != nil {
		return err.Error()
	}
	return st.String()
}

// head returns the first bytes the plugin printed.
func (r *procRunner) head() []byte {
	if r.stdout == nil {
		return nil
	}
	return r.stdout.head()
}

// headReader reads a plugin's stdout for go-plugin and keeps its first
// headSize bytes.
type headReader struct {
	f  *os.File
	mu sync.Mutex
	b  []byte
}

func (h *headReader) Read(p []byte) (int, error) {
	n, err := h.f.Read(p)
	h.mu.Lock()
	if keep := min(n, headSize-len(h.b)); keep > 0 {
		h.b = append(h.b, p[:keep]...)
	}
	h.mu.Unlock()
	return n, err
}

func (h *headReader) Close() error { return h.f.Close() }

func (h *headReader) head() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return bytes.Clone(h.b)
}
