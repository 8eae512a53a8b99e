package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"
)

// events records what the handler writes, standing in for the Windows event
// log on systems that have none; eventlog_windows_test.go writes to the real
// one.
type events struct {
	mu  sync.Mutex
	got []string
	err error
}

func (e *events) add(kind, msg string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, kind+": "+msg)
	return e.err
}

func (e *events) Info(id uint32, msg string) error    { return e.add("info", msg) }
func (e *events) Warning(id uint32, msg string) error { return e.add("warning", msg) }
func (e *events) Error(id uint32, msg string) error   { return e.add("error", msg) }

func TestEventHandlerLevelsAndFormat(t *testing.T) {
	ev := &events{}
	log := slog.New(newEventHandler(ev, &slog.HandlerOptions{Level: slog.LevelInfo}))
	log.Debug("hidden")
	log.Info("agent started", "listen", ":9470")
	log.With("probe", "checkout").WithGroup("http").Warn("slow", "phase", "connect")
	log.Error("config reload failed", "err", errors.New("line 3: bad"))
	want := []string{
		`info: level=INFO msg="agent started" listen=:9470`,
		`warning: level=WARN msg=slow probe=checkout http.phase=connect`,
		`error: level=ERROR msg="config reload failed" err="line 3: bad"`,
	}
	if !reflect.DeepEqual(ev.got, want) {
		t.Errorf("events:\n%q\nwant\n%q", ev.got, want)
	}
}

func TestEventHandlerKeepsReplaceAttrAndReportsWriteErrors(t *testing.T) {
	ev := &events{err: errors.New("event log full")}
	h := newEventHandler(ev, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == "token" {
				a.Value = slog.StringValue("REDACTED")
			}
			return a
		},
	})
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "login", 0)
	r.AddAttrs(slog.String("token", "s3cret"))
	if err := h.Handle(context.Background(), r); err == nil || err.Error() != "event log full" {
		t.Errorf("Handle error = %v, want the writer's error", err)
	}
	if want := []string{"info: level=INFO msg=login token=REDACTED"}; !reflect.DeepEqual(ev.got, want) {
		t.Errorf("events %q, want %q", ev.got, want)
	}
}

func TestEventHandlerConcurrentRecordsStayWhole(t *testing.T) {
	ev := &events{}
	log := slog.New(newEventHandler(ev, nil))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				log.Info("run", "worker", i, "n", j)
			}
		}()
	}
	wg.Wait()
	if len(ev.got) != 400 {
		t.Fatalf("%d events, want 400", len(ev.got))
	}
	for _, e := range ev.got {
		var w, n int
		if _, err := fmt.Sscanf(e, "info: level=INFO msg=run worker=%d n=%d", &w, &n); err != nil {
			t.Fatalf("mangled event %q: %v", e, err)
		}
	}
}
