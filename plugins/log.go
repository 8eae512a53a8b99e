package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter hands go-plugin's own messages to the agent's slog logger at
// debug level: the supervisor logs what matters (start, exit, restart) itself
// and in words an operator can act on.
type hclogAdapter struct {
	hclog.Logger // the null logger, for the methods go-plugin does not use
	log          *slog.Logger
	off          bool
}

func newHCLog(log *slog.Logger) hclog.Logger {
	return &hclogAdapter{Logger: hclog.NewNullLogger(), log: log}
}

func (a *hclogAdapter) Log(_ hclog.Level, msg string, args ...any) { a.emit(msg, args) }
func (a *hclogAdapter) Trace(msg string, args ...any)              { a.emit(msg, args) }
func (a *hclogAdapter) Debug(msg string, args ...any)              { a.emit(msg, args) }
func (a *hclogAdapter) Info(msg string, args ...any)               { a.emit(msg, args) }
func (a *hclogAdapter) Warn(msg string, args ...any)               { a.emit(msg, args) }
func (a *hclogAdapter) Error(msg string, args ...any)              { a.emit(msg, args) }

func (a *hclogAdapter) emit(msg string, args []any) {
	if !a.off {
		a.log.Debug("go-plugin: "+msg, args...)
	}
}

func (a *hclogAdapter) With(args ...any) hclog.Logger {
	return &hclogAdapter{Logger: a.Logger, log: a.log.With(args...), off: a.off}
}

// Named returns a silent logger for the stderr reader go-plugin names after
// the executable: the raw stderr is logged by the lineWriter that start
// gives go-plugin as Stderr instead, at the level each line asks for
// rather than go-plugin's debug.
func (a *hclogAdapter) Named(name string) hclog.Logger {
	return &hclogAdapter{Logger: a.Logger, log: a.log, off: a.off || name != "stdio"}
}

func (a *hclogAdapter) GetLevel() hclog.Level {
	if a.off {
		return hclog.Off
	}
	return hclog.Debug
}

func (a *hclogAdapter) IsDebug() bool { return !a.off }

// maxLogLine bounds one logged line of plugin output.
const maxLogLine = 4096

// lineWriter logs what a plugin writes, a line at a time. A line that is a
// JSON object with @level and @message (go-plugin's log format, which the SDK
// writes) becomes an entry at that level with its other keys as attributes;
// any other line is logged at level with the line as the message.
type lineWriter struct {
	log   *slog.Logger
	level slog.Level
	mu    sync.Mutex
	buf   []byte
	panic bool // a Go panic started: the rest is its trace
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLogLine {
		w.line(w.buf)
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

func (w *lineWriter) line(b []byte) {
	b = bytes.TrimRight(b, "\r")
	if len(bytes.TrimSpace(b)) == 0 {
		return
	}
	if len(b) > maxLogLine {
		b = b[:maxLogLine]
	}
	if b[0] == '{' {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			if msg, ok := m["@message"].(string); ok {
				lvl, _ := m["@level"].(string)
				w.log.Log(context.Background(), parseLevel(lvl), msg, attrs(m)...)
				return
			}
		}
	}
	if bytes.HasPrefix(b, []byte("panic: ")) || bytes.HasPrefix(b, []byte("fatal error: ")) {
		w.panic = true
	}
	level := w.level
	if w.panic {
		level = slog.LevelError
	}
	w.log.Log(context.Background(), level, string(b))
}

func parseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "trace", "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

func attrs(m map[string]any) []any {
	keys := make([]string, 0, len(m))
	for k := range m {
		if !strings.HasPrefix(k, "@") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		out = append(out, k, m[k])
	}
	return out
}
