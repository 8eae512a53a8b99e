//go:build unix

package proctree

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// startLocal starts s as a child of this process in a process group of its
// own, for systems and binaries without a keeper. Killing it kills the
// group; a descendant that left the group is out of reach.
func startLocal(s Spec) (*Proc, error) {
	cmd := &exec.Cmd{Path: s.Path, Args: s.Args, Env: s.localEnv(), Dir: s.Dir, SysProcAttr: localAttr()}
	// Files go to the process as they are, with no copying goroutine whose
	// wait would also wait for every process that inherited them.
	if s.Stdout != nil {
		cmd.Stdout = s.Stdout
	}
	if s.Stderr != nil {
		cmd.Stderr = s.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pid := cmd.Process.Pid
	p := newProc(pid, func() { killGroup(pid) })
	go func() {
		err := cmd.Wait()
		// What the process left in its group would hold its outputs open.
		killGroup(pid)
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			p.finish(Status{Code: -1}, err)
			return
		}
		p.finish(statusOf(cmd.ProcessState), nil)
	}()
	return p, nil
}

func statusOf(ps *os.ProcessState) Status {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return Status{Code: -1, Signal: ws.Signal()}
	}
	return Status{Code: ps.ExitCode()}
}

// killGroup kills the process group led by pid; ESRCH once it is gone.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
