package proctree

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// markEnv names the variable that marks a process, and so its descendants,
// as part of one tree: "<keeper pid>.<id>".
const markEnv = "SLOAGENT_PROCTREE"

const (
	// sweepEvery is how often a tree being ended is looked at again: each
	// pass kills one more generation of orphans.
	sweepEvery = 5 * time.Millisecond
	// unknownGrace is how long an orphan whose tree cannot be told is
	// left alone before it is taken for one of no running tree.
	unknownGrace = 100 * time.Millisecond
	// giveUpAfter ends the wait for a tree whose processes do not die
	// (stuck in the kernel, or not ours to kill).
	giveUpAfter = 10 * time.Second
)

// keeper is the keeper process's state, used by its main goroutine only.
type keeper struct {
	conn     *net.UnixConn
	self     int
	null     *os.File
	cg       *cgroups // nil: trees are told apart by their mark only
	runs     map[uint64]*run
	mains    map[int]*run // by pid, until reaped
	stopping time.Time
	unknown  map[int]time.Time // orphans whose tree could not be told, since
}

// run is one started process and its tree.
type run struct {
	id      uint64
	pid     int
	cgroup  string // its own cgroup's directory, or ""
	exited  bool   // reaped
	status  Status
	ending  time.Time // when it exited or was killed; zero while it runs
	pending bool      // its tree is being killed
}

type incoming struct {
	req   request
	files []*os.File
}

// runKeeper is the keeper process's main: fd 3 is its socket to the agent.
func runKeeper(args []string) int {
	// One thread forks every child: their parent-death signal follows the
	// thread, and this one lives as long as the keeper.
	runtime.LockOSThread()
	f := os.NewFile(3, "agent")
	c, err := net.FileConn(f) // a close-on-exec copy, which children do not inherit
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "proctree keeper:", err)
		return 2
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "proctree keeper: cannot become a child subreaper:", err)
		return 2
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proctree keeper:", err)
		return 2
	}
	k := &keeper{conn: c.(*net.UnixConn), self: os.Getpid(), null: null,
		runs: map[uint64]*run{}, mains: map[int]*run{}, unknown: map[int]time.Time{}}
	if !slices.Contains(args, "-no-cgroup") {
		k.cg = openCgroups(k.self)
	}
	return k.serve()
}

func (k *keeper) serve() int {
	reqs := make(chan incoming)
	go func() {
		rc := newReceiver(k.conn)
		for {
			var in incoming
			var err error
			if in.files, err = rc.recv(&in.req); err != nil {
				if !errors.Is(err, io.EOF) {
					fmt.Fprintln(os.Stderr, "proctree keeper:", err)
				}
				close(reqs)
				return
			}
			reqs <- in
		}
	}()
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	sweep := time.NewTimer(time.Hour)
	sweep.Stop()
	armed := false
	for {
		select {
		case in, ok := <-reqs:
			if !ok {
				reqs = nil
				k.stop()
				break
			}
			k.handle(in)
		case s := <-sigs:
			if s == syscall.SIGCHLD {
				k.reap()
			} else {
				k.stop()
			}
		case <-sweep.C:
			armed = false
		}
		if k.busy() {
			if k.sweep() {
				return 0
			}
			if !armed && k.busy() {
				sweep.Reset(sweepEvery)
				armed = true
			}
		}
	}
}

// busy reports whether a tree is being killed.
func (k *keeper) busy() bool {
	if !k.stopping.IsZero() {
		return true
	}
	for _, r := range k.runs {
		if r.pending {
			return true
		}
	}
	return false
}

func (k *keeper) handle(in incoming) {
	defer closeAll(in.files)
	switch in.req.Op {
	case "start":
		k.start(in.req, in.files)
	case "kill":
		r := k.runs[in.req.ID]
		if r == nil || r.pending {
			return
		}
		if !r.exited {
			// The process is alive, or a zombie not yet reaped: either
			// way its pid is still its group's id.
			_ = syscall.Kill(-r.pid, syscall.SIGKILL)
			_ = syscall.Kill(r.pid, syscall.SIGKILL)
		}
		r.pending, r.ending = true, time.Now()
	}
}

func (k *keeper) start(req request, files []*os.File) {
	fail := func(err error) {
		_ = send(k.conn, reply{Op: "failed", ID: req.ID, Err: err.Error()})
	}
	if !k.stopping.IsZero() {
		fail(errors.New("process keeper is stopping"))
		return
	}
	if len(files) != 2 {
		fail(fmt.Errorf("start request with %d files, want 2", len(files)))
		return
	}
	env := append(slices.Clip(req.Env), markEnv+"="+strconv.Itoa(k.self)+"."+strconv.FormatUint(req.ID, 10))
	if req.ParentPIDEnv != "" {
		env = append(env, req.ParentPIDEnv+"="+strconv.Itoa(k.self))
	}
	attr := &syscall.ProcAttr{Dir: req.Dir, Env: env,
		Files: []uintptr{k.null.Fd(), files[0].Fd(), files[1].Fd()},
		// Its own group, so that its first generation goes at once;
		// and if the keeper is killed, the kernel kills the process.
		Sys: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}}
	var dir string
	if k.cg != nil {
		d, fd, err := k.cg.create(req.ID)
		if err == nil {
			dir = d
			attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, fd
			defer syscall.Close(fd)
		}
	}
	pid, err := syscall.ForkExec(req.Path, req.Args, attr)
	if err != nil && dir != "" {
		// Maybe cgroups are what failed: without one, does it start?
		attr.Sys.UseCgroupFD = false
		var err2 error
		if pid, err2 = syscall.ForkExec(req.Path, req.Args, attr); err2 == nil {
			fmt.Fprintf(os.Stderr, "proctree keeper: cannot start processes in cgroups (%v); using process marks\n", err)
			k.cg.remove(dir)
			k.cg, dir, err = nil, "", nil
		}
	}
	if err != nil {
		if dir != "" {
			k.cg.remove(dir)
		}
		fail(&os.PathError{Op: "fork/exec", Path: req.Path, Err: err})
		return
	}
	r := &run{id: req.ID, pid: pid, cgroup: dir}
	k.runs[r.id], k.mains[pid] = r, r
	_ = send(k.conn, reply{Op: "started", ID: r.id, Pid: pid})
}

// reap collects every child that exited. A started process's group is
// killed before it is reaped, while its zombie still holds the group's id.
func (k *keeper) reap() {
	for {
		pid := exitedChild()
		if pid <= 0 {
			return
		}
		r := k.mains[pid]
		if r != nil {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if err != nil || got != pid {
			return
		}
		if r != nil {
			delete(k.mains, pid)
			r.exited = true
			if ws.Signaled() {
				r.status = Status{Code: -1, Signal: ws.Signal()}
			} else {
				r.status = Status{Code: ws.ExitStatus()}
			}
			if !r.pending {
				r.pending, r.ending = true, time.Now()
			}
		}
	}
}

// exitedChild returns the pid of a child that has exited, without reaping
// it, or 0.
func exitedChild() int {
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
		return 0
	}
	// si_pid opens the union that follows si_signo, si_errno and si_code,
	// which is pointer-aligned.
	off := unsafe.Sizeof(uintptr(0)) * 2
	if unsafe.Sizeof(uintptr(0)) == 4 {
		off = 12
	}
	return int(*(*int32)(unsafe.Add(unsafe.Pointer(&info), off)))
}

// sweep kills the keeper's children that belong to no running tree, and
// reports the trees that are gone. Only children are killed: a child's pid
// cannot be reused until the keeper reaps it, so the signal cannot reach a
// stranger; each pass kills a generation, whose children then become the
// keeper's. It returns true when the keeper has stopped and has no child.
func (k *keeper) sweep() bool {
	kids := k.children()
	// Anything killed or not yet told apart may be part of a tree being
	// ended, which is not gone until the next pass finds nothing.
	left := false
	seen := make(map[int]bool, len(kids))
	for _, pid := range kids {
		seen[pid] = true
		if r := k.mains[pid]; r != nil {
			if !k.stopping.IsZero() {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			continue
		}
		st := stat(pid)
		if st.State == "" || st.State == "Z" {
			continue // dead; reap collects it
		}
		owner, known := k.owner(pid)
		if !known && k.stopping.IsZero() {
			if first, ok := k.unknown[pid]; !ok {
				k.unknown[pid] = time.Now()
				left = true
				continue
			} else if time.Since(first) < unknownGrace {
				left = true
				continue
			}
		}
		if owner != nil && !owner.pending && k.stopping.IsZero() {
			continue // an orphan of a tree that runs
		}
		if st.PGRP == pid {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		left = true
	}
	for pid := range k.unknown {
		if !seen[pid] {
			delete(k.unknown, pid)
		}
	}
	for _, r := range k.runs {
		if !r.pending {
			continue
		}
		populated := false
		if r.cgroup != "" {
			populated = k.cg.kill(r.cgroup)
		}
		gone := r.exited && !left && !populated
		if !gone && time.Since(r.ending) < giveUpAfter {
			continue
		}
		var note string
		if !gone {
			note = fmt.Sprintf("processes of its tree survived SIGKILL for %s", giveUpAfter)
			fmt.Fprintf(os.Stderr, "proctree keeper: pid %d: %s\n", r.pid, note)
		}
		if r.cgroup != "" {
			k.cg.remove(r.cgroup)
		}
		delete(k.runs, r.id)
		_ = send(k.conn, reply{Op: "done", ID: r.id, Code: r.status.Code, Signal: int(r.status.Signal), Err: note})
	}
	if k.stopping.IsZero() {
		return false
	}
	if len(kids) == 0 || time.Since(k.stopping) > giveUpAfter {
		if k.cg != nil {
			k.cg.close()
		}
		return true
	}
	return false
}

// stop kills every tree; the keeper exits once they are gone.
func (k *keeper) stop() {
	if !k.stopping.IsZero() {
		return
	}
	k.stopping = time.Now()
	for _, r := range k.runs {
		if !r.exited {
			_ = syscall.Kill(-r.pid, syscall.SIGKILL)
			_ = syscall.Kill(r.pid, syscall.SIGKILL)
		}
		if !r.pending {
			r.pending, r.ending = true, time.Now()
		}
	}
	if k.cg != nil {
		k.cg.killAll()
	}
}

// owner returns the tree pid belongs to (nil if that tree has ended or
// is another keeper's), and whether that could be told: by its cgroup, or
// else by its mark. A process in the middle of an exec shows no
// environment for a moment, and one of another user none at all.
func (k *keeper) owner(pid int) (*run, bool) {
	p := "/proc/" + strconv.Itoa(pid)
	if k.cg != nil {
		if b, err := os.ReadFile(p + "/cgroup"); err == nil {
			if id, ok := k.cg.idOf(string(b)); ok {
				return k.runs[id], true
			}
		}
	}
	env, err := os.ReadFile(p + "/environ")
	if err != nil || len(env) == 0 {
		return nil, false
	}
	prefix := markEnv + "=" + strconv.Itoa(k.self) + "."
	for _, kv := range strings.Split(string(env), "\x00") {
		if id, ok := strings.CutPrefix(kv, prefix); ok {
			n, err := strconv.ParseUint(id, 10, 64)
			if err != nil {
				return nil, true
			}
			return k.runs[n], true
		}
	}
	return nil, true
}

// children lists the keeper's child processes.
func (k *keeper) children() []int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return k.childrenByScan()
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if os.IsNotExist(err) && t.Name() == strconv.Itoa(k.self) {
			// The main thread is there: the kernel has no
			// CONFIG_PROC_CHILDREN.
			return k.childrenByScan()
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				out = append(out, pid)
			}
		}
	}
	return out
}

// childrenByScan finds the children by reading every process's parent.
func (k *keeper) childrenByScan() []int {
	procs, err := procfs.AllProcs()
	if err != nil {
		return nil
	}
	var out []int
	for _, p := range procs {
		if s, err := p.Stat(); err == nil && s.PPID == k.self {
			out = append(out, p.PID)
		}
	}
	return out
}

// stat reads /proc/<pid>/stat: the zero ProcStat (State "") when pid is
// gone.
func stat(pid int) procfs.ProcStat {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return procfs.ProcStat{}
	}
	s, _ := p.Stat()
	return s
}
