package proctree

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// keeperSupported: Linux has the child subreaper the keeper is built on.
const keeperSupported = true

// startTimeout bounds the wait for the keeper's answer to a start.
const startTimeout = 10 * time.Second

// Keeper is the agent's end of a keeper process, started at the first
// Start and again after it died.
type Keeper struct {
	opts Options

	mu      sync.Mutex
	conn    *net.UnixConn
	kpid    int           // the keeper's process id
	exited  chan struct{} // closed once the current keeper is gone
	nextID  uint64
	pending map[uint64]chan started
	procs   map[uint64]*Proc
	closed  bool
}

type started struct {
	p   *Proc
	err error
}

// NewKeeper returns a keeper with options o; the process starts with the
// first Start. Only a binary whose main calls Main can run one.
func NewKeeper(o Options) *Keeper {
	return &Keeper{opts: o, pending: map[uint64]chan started{}, procs: map[uint64]*Proc{}}
}

// Start starts s as a child of the keeper.
func (k *Keeper) Start(s Spec) (*Proc, error) {
	stdout, stderr := s.Stdout, s.Stderr
	for _, f := range []**os.File{&stdout, &stderr} {
		if *f == nil {
			null, err := devNull()
			if err != nil {
				return nil, err
			}
			defer null.Close()
			*f = null
		}
	}
	k.mu.Lock()
	if err := k.ensure(); err != nil {
		k.mu.Unlock()
		return nil, fmt.Errorf("process keeper: %w", err)
	}
	k.nextID++
	id := k.nextID
	ch := make(chan started, 1)
	k.pending[id] = ch
	conn := k.conn
	k.mu.Unlock()

	err := send(conn, request{Op: "start", ID: id, Path: s.Path, Args: s.Args, Env: s.Env, Dir: s.Dir, ParentPIDEnv: s.ParentPIDEnv}, stdout, stderr)
	if err != nil {
		k.mu.Lock()
		delete(k.pending, id)
		k.mu.Unlock()
		return nil, fmt.Errorf("process keeper: %w", err)
	}
	t := time.NewTimer(startTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.p, r.err
	case <-t.C:
		k.mu.Lock()
		delete(k.pending, id)
		k.mu.Unlock()
		// Should it start after all, the reader kills it.
		return nil, fmt.Errorf("process keeper did not answer within %s", startTimeout)
	}
}

// ensure starts the keeper process unless it runs; k.mu is held.
func (k *Keeper) ensure() error {
	if k.closed {
		return errors.New("closed")
	}
	if k.conn != nil {
		return nil
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	local, remote := os.NewFile(uintptr(fds[0]), "keeper"), os.NewFile(uintptr(fds[1]), "agent")
	defer local.Close()
	args := []string{keeperName}
	if k.opts.NoCgroup {
		args = append(args, "-no-cgroup")
	}
	// /proc/self/exe is this very binary, even if its file was replaced
	// since it started. The keeper's own group keeps a terminal's ^C, which
	// goes to the agent's group, from reaching it: it ends when the agent
	// does, by its socket closing.
	cmd := &exec.Cmd{Path: "/proc/self/exe", Args: args, ExtraFiles: []*os.File{remote}, Stderr: os.Stderr,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true}}
	err = cmd.Start()
	remote.Close()
	if err != nil {
		return err
	}
	c, err := net.FileConn(local)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return err
	}
	k.conn = c.(*net.UnixConn)
	k.kpid = cmd.Process.Pid
	k.exited = make(chan struct{})
	go k.read(k.conn, cmd, k.exited)
	return nil
}

// read dispatches the keeper's replies until it is gone.
func (k *Keeper) read(conn *net.UnixConn, cmd *exec.Cmd, exited chan struct{}) {
	rc := newReceiver(conn)
	var err error
	for {
		var r reply
		var files []*os.File
		if files, err = rc.recv(&r); err != nil {
			break
		}
		closeAll(files)
		k.dispatch(conn, r)
	}
	conn.Close()
	werr := cmd.Wait()
	lost := fmt.Errorf("process keeper exited (%v)", werr)
	k.mu.Lock()
	if k.conn == conn {
		k.conn = nil
	}
	pending, procs := k.pending, k.procs
	k.pending, k.procs = map[uint64]chan started{}, map[uint64]*Proc{}
	k.mu.Unlock()
	for _, ch := range pending {
		ch <- started{err: lost}
	}
	for _, p := range procs {
		p.finish(Status{Code: -1}, lost)
	}
	close(exited)
}

func (k *Keeper) dispatch(conn *net.UnixConn, r reply) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch r.Op {
	case "started":
		id := r.ID
		p := newProc(r.Pid, func() { _ = send(conn, request{Op: "kill", ID: id}) })
		ch, ok := k.pending[id]
		if !ok { // its Start gave up waiting
			_ = send(conn, request{Op: "kill", ID: id})
		}
		k.procs[id] = p
		if ok {
			delete(k.pending, id)
			ch <- started{p: p}
		}
	case "failed":
		if ch, ok := k.pending[r.ID]; ok {
			delete(k.pending, r.ID)
			ch <- started{err: errors.New(r.Err)}
		}
	case "done":
		if p, ok := k.procs[r.ID]; ok {
			delete(k.procs, r.ID)
			var err error
			if r.Err != "" {
				err = errors.New(r.Err)
			}
			p.finish(Status{Code: r.Code, Signal: syscall.Signal(r.Signal)}, err)
		}
	}
}

// Close ends the keeper, which kills every process it started, and waits
// for it to exit.
func (k *Keeper) Close() error {
	k.mu.Lock()
	k.closed = true
	conn, exited := k.conn, k.exited
	k.mu.Unlock()
	if conn == nil {
		return nil
	}
	// Only the write side: the reader still collects the last replies.
	err := conn.CloseWrite()
	<-exited
	return err
}

// pid is the keeper's process id, 0 when none runs; for tests.
func (k *Keeper) pid() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.conn == nil {
		return 0
	}
	return k.kpid
}
