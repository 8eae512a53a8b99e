//go:build !windows

package service

import (
	"context"
	"io"
	"log/slog"
)

// IsService reports whether the process was started by the Windows service
// control manager; never elsewhere.
func IsService() (bool, error) { return false, nil }

// CurrentName is only available on Windows.
func CurrentName() (string, error) { return "", ErrUnsupported }

// Install is only available on Windows.
func Install(name, exePath string, args []string) error { return ErrUnsupported }

// Uninstall is only available on Windows.
func Uninstall(name string) error { return ErrUnsupported }

// Start is only available on Windows.
func Start(name string) error { return ErrUnsupported }

// Stop is only available on Windows.
func Stop(name string) error { return ErrUnsupported }

// Status is only available on Windows.
func Status(name string) (string, error) { return "", ErrUnsupported }

// Run is only available on Windows; the agent runs directly elsewhere.
func Run(name string, run func(ctx context.Context) error) error { return ErrUnsupported }

// NewEventLogHandler is only available on Windows.
func NewEventLogHandler(source string, opts *slog.HandlerOptions) (slog.Handler, io.Closer, error) {
	return nil, nil, ErrUnsupported
}
