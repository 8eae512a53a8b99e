// Package proctree starts the processes the agent runs for probes (checks
// and plugins) so that each one's whole tree of descendants ends with it:
// when it exits, when it is killed at a timeout, and when the agent itself
// dies, even by SIGKILL. A process group is not enough for that: a
// descendant can leave it (setsid, a daemonising double fork), and the
// kernel's parent-death signal reaches only a direct child.
//
// On Linux the processes are started by a keeper: the agent's own binary,
// started once more as a small process of its own (see Main) that is the
// parent of them all. The keeper is a child subreaper, so a descendant whose
// parent exits becomes its child rather than init's. It puts each process in
// a cgroup of its own where it can make one; otherwise it marks the process
// with the environment variable SLOAGENT_PROCTREE, which descendants
// inherit. When a process exits or is killed, the keeper kills what is left
// of its tree: the cgroup, or the process group and the orphans that carry
// the mark. When the agent dies, the keeper's socket to it closes and the
// keeper kills every tree and exits.
//
// On Windows each process runs in a job object that is terminated with it,
// and that the system terminates when the agent's handle to it closes. On
// other systems, and in a binary whose main does not call Main, a process
// gets a process group of its own, which is killed with it.
package proctree

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
)

// Spec describes a process to start.
type Spec struct {
	// Path is the executable, an absolute path.
	Path string
	// Args is the argument list, starting with the program name.
	Args []string
	// Env is the whole environment.
	Env []string
	// Dir is the working directory; empty means the agent's.
	Dir string
	// ParentPIDEnv, if set, names a variable added to Env with the pid of
	// the process's parent (the keeper, or this process), for a process
	// that watches for its parent to go away.
	ParentPIDEnv string
	// Stdout and Stderr receive the output; nil discards it. The process
	// gets its own copies, so the caller closes these after Start.
	Stdout, Stderr *os.File
}

// Status is how a process ended.
type Status struct {
	// Code is the exit status, or -1 when a signal ended the process.
	Code int
	// Signal is the signal that ended the process, if one did.
	Signal syscall.Signal
}

// Success reports whether the process exited with status 0.
func (s Status) Success() bool { return s.Code == 0 && s.Signal == 0 }

// String reads as os.ProcessState does: "exit status 2", "signal: killed".
func (s Status) String() string {
	if s.Signal != 0 {
		return "signal: " + s.Signal.String()
	}
	return fmt.Sprintf("exit status %d", s.Code)
}

// Proc is a started process.
type Proc struct {
	pid  int
	done chan struct{}
	kill func()

	// Set before done is closed.
	status Status
	err    error
}

func newProc(pid int, kill func()) *Proc {
	return &Proc{pid: pid, kill: kill, done: make(chan struct{})}
}

// finish records how the process ended; called once.
func (p *Proc) finish(st Status, err error) {
	p.status, p.err = st, err
	close(p.done)
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.pid }

// Done is closed once the process has ended and what was left of its tree
// has been killed.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits for Done and returns how the process ended. The error is set
// when that cannot be known (the keeper itself died).
func (p *Proc) Wait() (Status, error) {
	<-p.done
	return p.status, p.err
}

// Kill kills the process and its whole tree; Done follows. Killing a process
// that has ended does nothing.
func (p *Proc) Kill() {
	select {
	case <-p.done:
	default:
		p.kill()
	}
}

// shared is the process-wide starter. It is package state, unlike anything
// else in the agent, because what it stands for is: a process has one
// keeper, the parent of everything this package starts, and only a binary
// whose main calls Main can be started as one (any other, started as a
// keeper, would run its own main again: for a test binary, every test).
var shared struct {
	mu     sync.Mutex
	reexec bool // Main was called: the binary can be its own keeper
	keeper *Keeper
}

// Start starts a process as described by s.
func Start(s Spec) (*Proc, error) {
	if s.Path == "" || len(s.Args) == 0 {
		return nil, fmt.Errorf("proctree: missing path or arguments")
	}
	shared.mu.Lock()
	k := shared.keeper
	if k == nil && shared.reexec && keeperSupported {
		k = NewKeeper(Options{})
		shared.keeper = k
	}
	shared.mu.Unlock()
	if k != nil {
		return k.Start(s)
	}
	return startLocal(s)
}

// StartPiped starts s with its standard output and error on pipes, and
// returns their read ends, which the caller reads and closes; s.Stdout
// and s.Stderr are not used.
func StartPiped(s Spec) (p *Proc, stdout, stderr *os.File, err error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, nil, nil, err
	}
	s.Stdout, s.Stderr = outW, errW
	p, err = Start(s)
	// The process has its own copies of the write ends; closing ours
	// lets the reads end when it does.
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, nil, nil, err
	}
	return p, outR, errR, nil
}

// Main runs the keeper and exits when this process was started as one.
// Otherwise it returns at once, and processes started later go through a
// keeper. Call it first thing in main, and in TestMain of tests that start
// processes through this package.
func Main() {
	if len(os.Args) > 0 && os.Args[0] == keeperName {
		os.Exit(runKeeper(os.Args[1:]))
	}
	shared.mu.Lock()
	shared.reexec = true
	shared.mu.Unlock()
}

// keeperName is the keeper's argv[0], which tells Main what to run.
const keeperName = "sloagent-proctree-keeper"

// Options are a keeper's settings.
type Options struct {
	// NoCgroup keeps the keeper from making cgroups, so that it tells
	// trees apart by the mark in their environment only.
	NoCgroup bool
}

// localEnv is the environment of a process started by this one.
func (s Spec) localEnv() []string {
	if s.ParentPIDEnv == "" {
		return s.Env
	}
	return append(slices.Clip(s.Env), s.ParentPIDEnv+"="+strconv.Itoa(os.Getpid()))
}

// devNull opens the null device for an output the caller discards.
func devNull() (*os.File, error) { return os.OpenFile(os.DevNull, os.O_WRONLY, 0) }
