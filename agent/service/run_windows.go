//go:build windows

package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// IsService reports whether the service control manager started this
// process.
func IsService() (bool, error) {
	if ok, err := svc.IsWindowsService(); ok || err != nil {
		return ok, err
	}
	// svc.IsWindowsService also requires the parent to be in session 0,
	// which service managers outside Windows proper (Wine's) do not use; a
	// parent named services.exe is enough to know the manager waits for
	// this process to connect.
	parent, err := parentImage()
	if err != nil {
		return false, err
	}
	return strings.EqualFold(parent, "services.exe"), nil
}

// Run runs run as the service name when the service control manager started
// this process: it reports the service running, cancels run's context on a
// stop or a system shutdown and reports the service stopped once run has
// returned (or after StopTimeout if it does not). A run that fails makes the
// service stop with exit code 1, so the manager's recovery actions restart
// it; context.Canceled after a stop is not a failure. Run returns run's
// error.
//
// Started any other way (from a console), Run calls run directly with a
// context cancelled by Ctrl+C.
func Run(name string, run func(ctx context.Context) error) error {
	isSvc, err := IsService()
	if err != nil {
		return fmt.Errorf("service: detecting the service manager: %w", err)
	}
	if !isSvc {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return run(ctx)
	}
	h := &handler{run: run}
	if err := svc.Run(name, h); err != nil {
		return fmt.Errorf("service: running %s: %w", name, err)
	}
	return h.err
}

type handler struct {
	run func(ctx context.Context) error
	err error // run's result, read after svc.Run returns
}

// Execute is called by svc.Run on the service's own goroutine.
func (h *handler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.run(ctx) }()
	status <- svc.Status{State: svc.Running, Accepts: accepts}

	var (
		stopping <-chan time.Time // set once a stop was asked for
		tick     <-chan time.Time
		check    uint32
	)
	for {
		select {
		case err := <-done:
			// An agent that hands back the cancellation it was asked
			// for stopped cleanly.
			if stopping != nil && errors.Is(err, context.Canceled) {
				err = nil
			}
			h.err = err
			if err != nil {
				return true, 1
			}
			return false, 0
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				if stopping != nil {
					continue
				}
				cancel()
				stopping = time.After(StopTimeout)
				t := time.NewTicker(time.Second)
				defer t.Stop()
				tick = t.C
				status <- svc.Status{State: svc.StopPending, WaitHint: uint32(StopTimeout.Milliseconds())}
			}
		case <-tick:
			// An advancing checkpoint tells the manager the stop is
			// progressing rather than hung.
			check++
			status <- svc.Status{State: svc.StopPending, CheckPoint: check, WaitHint: uint32(StopTimeout.Milliseconds())}
		case <-stopping:
			h.err = fmt.Errorf("service: the agent did not return within %s of being stopped", StopTimeout)
			return true, 2
		}
	}
}

// CurrentName returns the name the service manager runs this process
// under, so that a binary installed under another --name logs to its own
// event source.
func CurrentName() (string, error) {
	m, err := mgr.Connect()
	if err != nil {
		return "", fmt.Errorf("service: connecting to the service manager: %w", err)
	}
	defer m.Disconnect()
	names, err := m.ListServices()
	if err != nil {
		return "", fmt.Errorf("service: listing services: %w", err)
	}
	pid := windows.GetCurrentProcessId()
	for _, n := range names {
		s, err := m.OpenService(n)
		if err != nil {
			continue
		}
		st, err := s.Query()
		s.Close()
		if err == nil && st.ProcessId == pid {
			return n, nil
		}
	}
	return "", fmt.Errorf("service: no service runs process %d", pid)
}

// parentImage names the executable of this process's parent.
func parentImage() (string, error) {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return "", err
	}
	defer windows.CloseHandle(snap)
	images := map[uint32]string{}
	var ppid uint32
	self := windows.GetCurrentProcessId()
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		images[e.ProcessID] = windows.UTF16ToString(e.ExeFile[:])
		if e.ProcessID == self {
			ppid = e.ParentProcessID
		}
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return "", err
	}
	return images[ppid], nil
}
