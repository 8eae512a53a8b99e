package plugins

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// A watched run (the agent's ?debug=true) shows what the plugin logged
// during the call, in the run's own log; an ordinary run asks for nothing.
func TestWatchedRunGetsThePluginsLogLines(t *testing.T) {
	t.Parallel()
	s, _ := supervise(t, Config{Name: "test", Command: pluginPath(t, "testplugin")})
	waitRunning(t, s)
	p, err := s.Prober("watched", "ok", &ProbeConfig{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res := p.Probe(ctx, log)
		cancel()
		if !res.Success {
			t.Fatalf("run: %+v", res)
		}
		got := buf.String()
		watched := level == slog.LevelDebug
		if has := strings.Contains(got, `level=INFO msg=probed plugin=test target=ok call=`); has != watched {
			t.Errorf("log at %s: plugin's line there %v, want %v:\n%s", level, has, watched, got)
		}
	}
}

// The Python SDK returns a watched call's lines as well.
func TestWatchedRunGetsThePythonPluginsLogLines(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "up") }))
	t.Cleanup(srv.Close)
	script, err := filepath.Abs("python/http_status.py")
	if err != nil {
		t.Fatal(err)
	}
	auto := false
	s, _ := supervise(t, Config{Name: "py", Command: script, AutoMTLS: &auto,
		Env: map[string]conf.Secret{"PYTHONDONTWRITEBYTECODE": "1"}})
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := s.Prober("watched", srv.URL+"/", &ProbeConfig{Name: "py"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if res := p.Probe(ctx, log); !res.Success {
		t.Fatalf("run: %+v", res)
	}
	if want := `level=INFO msg=fetched plugin=py status=200 target=` + srv.URL + "/"; !strings.Contains(buf.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, buf.String())
	}
}
