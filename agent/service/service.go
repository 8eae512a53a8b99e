// Package service lets the agent's binary run as a Windows service: it
// installs, removes, starts and stops the service through the service control
// manager, runs the agent under it so that a stop or a system shutdown cancels
// the agent's context and waits for it to return, and logs to the Windows
// event log. On other systems every function returns ErrUnsupported; there
// the agent runs under systemd (configs/deploy/sloagent.service) or in a
// container instead.
package service

import (
	"errors"
	"time"
)

// ErrUnsupported is returned by every function on systems other than Windows.
var ErrUnsupported = errors.New("service: Windows services are only available on Windows")

// Description is what the service manager shows for an installed agent.
const Description = "Synthetic monitoring and SLO agent: runs probes and exports SLO metrics for Prometheus."

// How long Start, Stop and Uninstall wait for the service to change state,
// and how long a stopping service waits for the agent to return before it
// reports itself stopped anyway. The agent finishes in-flight probe runs and
// flushes SLO state on stop, which must fit well inside Windows' own
// shutdown allowance (about 20 s by default).
const (
	StateTimeout = 30 * time.Second
	StopTimeout  = 15 * time.Second
)
