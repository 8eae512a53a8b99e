//go:build windows

package service

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// Install registers the service name to run exePath with args, started
// automatically at boot and restarted by the service manager when it fails,
// and registers name as an event log source. exePath and any paths in args
// should be absolute: a service starts in the system directory.
func Install(name, exePath string, args []string) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("service: connecting to the service manager: %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(name); err == nil {
		s.Close()
		return fmt.Errorf("service: %s is already installed", name)
	}
	s, err := m.CreateService(name, exePath, mgr.Config{
		DisplayName: name,
		Description: Description,
		StartType:   mgr.StartAutomatic,
	}, args...)
	if err != nil {
		return fmt.Errorf("service: installing %s: %w", name, err)
	}
	defer s.Close()
	restart := []mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 2 * time.Minute},
	}
	// Service managers without failure actions (Wine's) reject the level;
	// the service still runs, it just is not restarted after a crash.
	if err := s.SetRecoveryActions(restart, uint32((24 * time.Hour).Seconds())); err != nil && !errors.Is(err, windows.ERROR_INVALID_LEVEL) {
		s.Delete()
		return fmt.Errorf("service: setting recovery actions of %s: %w", name, err)
	}
	// A source left behind by an earlier install that was not removed
	// cleanly would make the install fail for no good reason.
	_ = eventlog.Remove(name)
	if err := eventlog.InstallAsEventCreate(name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		s.Delete()
		return fmt.Errorf("service: registering event log source %s: %w", name, err)
	}
	return nil
}

// Uninstall stops the service if it runs, removes it and its event log
// source.
func Uninstall(name string) error {
	return withService(name, func(s *mgr.Service) error {
		if err := stop(s); err != nil {
			return err
		}
		if err := s.Delete(); err != nil {
			return fmt.Errorf("service: removing %s: %w", name, err)
		}
		if err := eventlog.Remove(name); err != nil && !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
			return fmt.Errorf("service: removing event log source %s: %w", name, err)
		}
		return nil
	})
}

// Start starts the service and waits until it runs. A service that stops
// while starting is an error naming its exit code.
func Start(name string) error {
	return withService(name, func(s *mgr.Service) error {
		if err := s.Start(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
			return fmt.Errorf("service: starting %s: %w", name, err)
		}
		st, err := waitFor(s, svc.Running)
		if err != nil {
			return err
		}
		if st.State != svc.Running {
			return fmt.Errorf("service: %s stopped while starting (%s)", name, exitCode(st))
		}
		return nil
	})
}

// Stop stops the service and waits until it has stopped. Stopping a stopped
// service is not an error.
func Stop(name string) error {
	return withService(name, stop)
}

// Status names the service's state: stopped, start_pending, stop_pending,
// running, continue_pending, pause_pending or paused.
func Status(name string) (string, error) {
	var state string
	err := withService(name, func(s *mgr.Service) error {
		st, err := s.Query()
		if err != nil {
			return fmt.Errorf("service: querying %s: %w", name, err)
		}
		state = stateName(st.State)
		return nil
	})
	return state, err
}

// withService calls fn with the installed service of the name, connected
// to the service manager for the call.
func withService(name string, fn func(s *mgr.Service) error) error {
	m, s, err := open(name)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	return fn(s)
}

func open(name string) (*mgr.Mgr, *mgr.Service, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, nil, fmt.Errorf("service: connecting to the service manager: %w", err)
	}
	s, err := m.OpenService(name)
	if err != nil {
		m.Disconnect()
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return nil, nil, fmt.Errorf("service: %s is not installed", name)
		}
		return nil, nil, fmt.Errorf("service: opening %s: %w", name, err)
	}
	return m, s, nil
}

func stop(s *mgr.Service) error {
	st, err := s.Control(svc.Stop)
	switch {
	case errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE):
		return nil
	case err != nil && !errors.Is(err, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL):
		// CANNOT_ACCEPT_CTRL means it is already stopping or still
		// starting; waiting below covers both.
		return fmt.Errorf("service: stopping %s: %w", s.Name, err)
	}
	if st.State == svc.Stopped {
		return nil
	}
	if st, err = waitFor(s, svc.Stopped); err != nil {
		return err
	}
	if st.State != svc.Stopped {
		return fmt.Errorf("service: %s did not stop (state %s)", s.Name, stateName(st.State))
	}
	return nil
}

// waitFor polls until the service reaches want or settles in Stopped, or
// StateTimeout passes.
func waitFor(s *mgr.Service, want svc.State) (svc.Status, error) {
	deadline := time.Now().Add(StateTimeout)
	for {
		st, err := s.Query()
		if err != nil {
			return st, fmt.Errorf("service: querying %s: %w", s.Name, err)
		}
		if st.State == want || st.State == svc.Stopped {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("service: %s still %s after %s", s.Name, stateName(st.State), StateTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func exitCode(st svc.Status) string {
	if st.Win32ExitCode == uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR) {
		return fmt.Sprintf("exit code %d", st.ServiceSpecificExitCode)
	}
	if st.Win32ExitCode == 0 {
		return "exit code 0"
	}
	return windows.Errno(st.Win32ExitCode).Error()
}

func stateName(s svc.State) string {
	switch s {
	case svc.Stopped:
		return "stopped"
	case svc.StartPending:
		return "start_pending"
	case svc.StopPending:
		return "stop_pending"
	case svc.Running:
		return "running"
	case svc.ContinuePending:
		return "continue_pending"
	case svc.PausePending:
		return "pause_pending"
	case svc.Paused:
		return "paused"
	}
	return fmt.Sprintf("state_%d", s)
}
