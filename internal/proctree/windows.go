//go:build windows

package proctree

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// startLocal starts s suspended, puts it in a job object of its own, and
// lets it run: everything it starts is in the job too. Terminating the job
// kills them all, and the system terminates it when the agent's handle to
// it closes, which it does when the agent dies however it dies.
func startLocal(s Spec) (*Proc, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("creating a job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{
		LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE}}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return nil, fmt.Errorf("setting up a job object: %w", err)
	}
	cmd := &exec.Cmd{Path: s.Path, Args: s.Args, Env: s.localEnv(), Dir: s.Dir,
		SysProcAttr: &syscall.SysProcAttr{CreationFlags: windows.CREATE_SUSPENDED}}
	if s.Stdout != nil {
		cmd.Stdout = s.Stdout
	}
	if s.Stderr != nil {
		cmd.Stderr = s.Stderr
	}
	if err := cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return nil, err
	}
	if err := assignAndResume(job, cmd.Process.Pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		windows.CloseHandle(job)
		return nil, err
	}
	p := newProc(cmd.Process.Pid, func() { _ = windows.TerminateJobObject(job, 1) })
	go func() {
		err := cmd.Wait()
		// What the process left running would hold its outputs open.
		_ = windows.TerminateJobObject(job, 1)
		windows.CloseHandle(job)
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			p.finish(Status{Code: -1}, err)
			return
		}
		p.finish(Status{Code: cmd.ProcessState.ExitCode()}, nil)
	}()
	return p, nil
}

func assignAndResume(job windows.Handle, pid int) error {
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE|windows.PROCESS_SUSPEND_RESUME, false, uint32(pid))
	if err != nil {
		return fmt.Errorf("opening process %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		return fmt.Errorf("putting process %d in a job object: %w", pid, err)
	}
	// os/exec keeps the thread handle to itself; NtResumeProcess resumes
	// every thread of the process.
	resume := windows.NewLazySystemDLL("ntdll.dll").NewProc("NtResumeProcess")
	if st, _, _ := resume.Call(uintptr(h)); st != 0 {
		return fmt.Errorf("resuming process %d: NTSTATUS %#x", pid, st)
	}
	return nil
}
