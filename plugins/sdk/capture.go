package sdk

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
)

// maxCaptured bounds the lines a watched call returns, and maxLineLen
// each message: they travel in the answer.
const (
	maxCaptured = 100
	maxLineLen  = 2000
)

// capture is a slog.Handler that passes records on to next and keeps them
// for the answer of a watched call (ProbeRequest.debug).
type capture struct {
	next  slog.Handler
	attrs []slog.Attr
	lines *capturedLines
}

type capturedLines struct {
	mu    sync.Mutex
	lines []*pluginv1.LogLine
}

func newCapture(next slog.Handler) *capture {
	return &capture{next: next, lines: &capturedLines{}}
}

func (c *capture) Enabled(ctx context.Context, l slog.Level) bool { return true }

func (c *capture) Handle(ctx context.Context, r slog.Record) error {
	line := &pluginv1.LogLine{Level: strings.ToLower(r.Level.String()), Message: truncate(r.Message)}
	add := func(a slog.Attr) bool {
		line.Fields = append(line.Fields, &pluginv1.Label{Name: truncate(a.Key), Value: truncate(fmt.Sprint(a.Value.Resolve().Any()))})
		return true
	}
	for _, a := range c.attrs {
		add(a)
	}
	r.Attrs(add)
	c.lines.mu.Lock()
	if len(c.lines.lines) < maxCaptured {
		c.lines.lines = append(c.lines.lines, line)
	}
	c.lines.mu.Unlock()
	if c.next.Enabled(ctx, r.Level) {
		return c.next.Handle(ctx, r)
	}
	return nil
}

func (c *capture) WithAttrs(as []slog.Attr) slog.Handler {
	return &capture{next: c.next.WithAttrs(as), attrs: append(c.attrs[:len(c.attrs):len(c.attrs)], as...), lines: c.lines}
}

// WithGroup keeps the group for the log on stderr; captured fields stay
// flat.
func (c *capture) WithGroup(name string) slog.Handler {
	return &capture{next: c.next.WithGroup(name), attrs: c.attrs, lines: c.lines}
}

// taken returns the lines kept so far.
func (c *capture) taken() []*pluginv1.LogLine {
	c.lines.mu.Lock()
	defer c.lines.mu.Unlock()
	return append([]*pluginv1.LogLine(nil), c.lines.lines...)
}

// truncate makes s valid UTF-8 and keeps at most maxLineLen bytes of it,
// cut between characters: protobuf refuses a string that is not valid
// UTF-8, so a line cut inside a character would fail the whole answer.
// The agent cuts text with its package internal/clip; this module is what
// plugin authors import and cannot import the agent's internal packages,
// so it has its own copy, with the same " [N bytes cut]" marker.
func truncate(s string) string {
	s = valid(s)
	if len(s) <= maxLineLen {
		return s
	}
	cut := maxLineLen
	for i := 1; i < utf8.UTFMax && cut > 0 && !utf8.RuneStart(s[cut]); i++ {
		cut--
	}
	return s[:cut] + " [" + strconv.Itoa(len(s)-cut) + " bytes cut]"
}
