//go:build windows

package service

import (
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/sys/windows/svc/eventlog"
)

// NewEventLogHandler returns a slog handler writing each record as one event
// of the Application log under source (the service name Install registered),
// with the event type following the record's level, and the Closer that
// releases the log. A service has no console: this (or a file) is where its
// logs go.
func NewEventLogHandler(source string, opts *slog.HandlerOptions) (slog.Handler, io.Closer, error) {
	l, err := eventlog.Open(source)
	if err != nil {
		return nil, nil, fmt.Errorf("service: opening the event log as %s: %w", source, err)
	}
	return newEventHandler(l, opts), l, nil
}
