package service

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

// eventWriter is the part of the Windows event log the handler writes to.
type eventWriter interface {
	Info(eid uint32, msg string) error
	Warning(eid uint32, msg string) error
	Error(eid uint32, msg string) error
}

// eventID is the one event ID used for every record: the source is
// registered with EventCreate.exe as its message file, whose messages 1 to
// 1000 show the text as is.
const eventID = 1

// eventHandler formats records as slog's text format (without the time,
// which the event log records itself) and writes each as one event whose
// type follows the level.
type eventHandler struct {
	text   slog.Handler
	shared *eventSink
}

type eventSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
	w   eventWriter
}

func (s *eventSink) Write(p []byte) (int, error) { return s.buf.Write(p) }

func newEventHandler(w eventWriter, opts *slog.HandlerOptions) *eventHandler {
	var o slog.HandlerOptions
	if opts != nil {
		o = *opts
	}
	replace := o.ReplaceAttr
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		if replace != nil {
			return replace(groups, a)
		}
		return a
	}
	s := &eventSink{w: w}
	return &eventHandler{text: slog.NewTextHandler(s, &o), shared: s}
}

func (h *eventHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.text.Enabled(ctx, l)
}

func (h *eventHandler) Handle(ctx context.Context, r slog.Record) error {
	s := h.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Reset()
	if err := h.text.Handle(ctx, r); err != nil {
		return err
	}
	msg := strings.TrimSuffix(s.buf.String(), "\n")
	switch {
	case r.Level >= slog.LevelError:
		return s.w.Error(eventID, msg)
	case r.Level >= slog.LevelWarn:
		return s.w.Warning(eventID, msg)
	}
	return s.w.Info(eventID, msg)
}

func (h *eventHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &eventHandler{text: h.text.WithAttrs(attrs), shared: h.shared}
}

func (h *eventHandler) WithGroup(name string) slog.Handler {
	return &eventHandler{text: h.text.WithGroup(name), shared: h.shared}
}
