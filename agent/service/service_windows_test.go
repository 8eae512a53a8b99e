//go:build windows

package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/mgr"
)

// helperArg makes the test binary, started again by the service manager,
// act as the service under test instead of running the tests.
const helperArg = "-sloagent.test.service"

func TestMain(m *testing.M) {
	// Command install appends --storage.path to what it is given.
	if len(os.Args) >= 6 && os.Args[1] == helperArg {
		os.Exit(serviceHelper(os.Args[2], os.Args[3], os.Args[4], os.Args[5]))
	}
	os.Exit(m.Run())
}

// serviceHelper serves HTTP on addr under Run until the service is stopped
// (mode "serve") or fails at once (mode "fail"), logging what happened to
// logPath for the test to read.
func serviceHelper(name, addr, logPath, mode string) int {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return 3
	}
	defer f.Close()
	log := slog.New(slog.NewTextHandler(f, nil))
	isSvc, err := IsService()
	log.Info("started", "is_service", isSvc, "err", err)
	current, err := CurrentName()
	log.Info("service name", "name", current, "err", err)
	if h, c, err := NewEventLogHandler(name, nil); err != nil {
		log.Error("event log", "err", err)
	} else {
		err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "service starting", 0))
		log.Info("event log written", "err", err)
		c.Close()
	}
	err = Run(name, func(ctx context.Context) error {
		if mode == "fail" {
			return errors.New("deliberate failure")
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "served by "+name)
		})}
		go srv.Serve(ln)
		<-ctx.Done()
		log.Info("context canceled")
		if err := srv.Shutdown(context.Background()); err != nil {
			return err
		}
		// Like the agent, hand the cancellation back: Run must not
		// count it as a failure.
		return ctx.Err()
	})
	log.Info("run returned", "err", err)
	if err != nil {
		return 1
	}
	return 0
}

// needManager skips when the service manager refuses this user (tests run
// unelevated on a real Windows machine); Wine's always lets us in.
func needManager(t *testing.T) {
	t.Helper()
	m, err := mgr.Connect()
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		t.Skip("installing services needs an elevated prompt:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Disconnect()
}

func installHelper(t *testing.T, mode string) (name, addr, logPath string) {
	t.Helper()
	needManager(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name = fmt.Sprintf("sloagent-test-%s-%d", mode, os.Getpid())
	addr = testutil.FreeAddr(t)
	logPath = filepath.Join(t.TempDir(), "service.log")
	if err := Install(name, exe, []string{helperArg, name, addr, logPath, mode}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := Uninstall(name); err != nil && !strings.Contains(err.Error(), "not installed") {
			t.Errorf("cleanup: %v", err)
		}
	})
	return name, addr, logPath
}

func wantStatus(t *testing.T, name, want string) {
	t.Helper()
	got, err := Status(name)
	if err != nil || got != want {
		t.Fatalf("Status(%s) = %q, %v; want %q", name, got, err, want)
	}
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServiceLifecycle(t *testing.T) {
	name, addr, logPath := installHelper(t, "serve")
	if err := Install(name, `C:\elsewhere.exe`, nil); err == nil || !strings.Contains(err.Error(), "already installed") {
		t.Errorf("second Install: %v, want already installed", err)
	}
	wantStatus(t, name, "stopped")

	if err := Start(name); err != nil {
		t.Fatalf("Start: %v\nservice log:\n%s", err, readLog(t, logPath))
	}
	wantStatus(t, name, "running")
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("the running service does not answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := string(body); got != "served by "+name {
		t.Errorf("service answered %q", got)
	}

	if err := Stop(name); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, name, "stopped")
	if err := Stop(name); err != nil {
		t.Errorf("stopping a stopped service: %v", err)
	}
	log := readLog(t, logPath)
	for _, want := range []string{
		"is_service=true",
		`msg="service name" name=` + name + ` err=<nil>`,
		`msg="event log written" err=<nil>`,
		`msg="context canceled"`,
		`msg="run returned" err=<nil>`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("service log lacks %s:\n%s", want, log)
		}
	}
	if _, err := c.Get("http://" + addr + "/"); err == nil {
		t.Error("the stopped service still answers")
	}

	if err := Uninstall(name); err != nil {
		t.Fatal(err)
	}
	if _, err := Status(name); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("Status after Uninstall: %v, want not installed", err)
	}
}

func TestServiceWhoseAgentFailsStops(t *testing.T) {
	name, _, logPath := installHelper(t, "fail")
	// The agent fails right after the service reports running, so Start
	// sees either state; what matters is where it settles.
	if err := Start(name); err != nil && !strings.Contains(err.Error(), "stopped while starting (exit code 1)") {
		t.Fatal(err)
	}
	deadline := time.Now().Add(StateTimeout)
	for {
		st, err := Status(name)
		if err != nil {
			t.Fatal(err)
		}
		if st == "stopped" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("service still %s after its agent failed", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if log := readLog(t, logPath); !strings.Contains(log, `msg="run returned" err="deliberate failure"`) {
		t.Errorf("service log lacks the agent's error:\n%s", log)
	}
}

func TestUnknownService(t *testing.T) {
	needManager(t)
	name := fmt.Sprintf("sloagent-missing-%d", os.Getpid())
	_, statusErr := Status(name)
	for fn, err := range map[string]error{
		"Start": Start(name), "Stop": Stop(name), "Uninstall": Uninstall(name), "Status": statusErr,
	} {
		if err == nil || err.Error() != "service: "+name+" is not installed" {
			t.Errorf("%s: %v, want not installed", fn, err)
		}
	}
}

func TestRunFromConsoleCallsAgentDirectly(t *testing.T) {
	if ok, err := IsService(); ok || err != nil {
		t.Fatalf("IsService() = %v, %v in a test run from a console", ok, err)
	}
	sentinel := errors.New("agent result")
	err := Run("sloagent-console", func(ctx context.Context) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return sentinel
	})
	if err != sentinel {
		t.Errorf("Run returned %v, want the agent's own error", err)
	}
}

func TestEventLogHandlerWritesEvents(t *testing.T) {
	h, c, err := NewEventLogHandler("sloagent-test", &slog.HandlerOptions{Level: slog.LevelDebug})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		r := slog.NewRecord(time.Now(), l, "event log test", 0)
		r.AddAttrs(slog.String("level_name", l.String()))
		if err := h.Handle(context.Background(), r); err != nil {
			t.Errorf("writing a %s event: %v", l, err)
		}
	}
}

func TestCommandCycle(t *testing.T) {
	needManager(t)
	name := fmt.Sprintf("sloagent-test-cmd-%d", os.Getpid())
	addr := testutil.FreeAddr(t)
	logPath := filepath.Join(t.TempDir(), "service.log")
	run := func(args ...string) string {
		t.Helper()
		var out, errOut strings.Builder
		if code := Command(args, &out, &errOut); code != 0 {
			t.Fatalf("service %q: exit code %d\n%s", args, code, errOut.String())
		}
		return out.String()
	}
	out := run("install", "--name="+name, "--", helperArg, name, addr, logPath, "serve")
	t.Cleanup(func() { Uninstall(name) })
	if !strings.Contains(out, "installed service "+name) || !strings.Contains(out, "--storage.path=") {
		t.Errorf("install printed %q", out)
	}
	run("start", "--name="+name)
	if got := run("status", "--name="+name); got != "running\n" {
		t.Errorf("status printed %q, want running", got)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("the service started by Command does not answer: %v", err)
	}
	resp.Body.Close()
	run("stop", "--name="+name)
	if got := run("status", "--name="+name); got != "stopped\n" {
		t.Errorf("status printed %q, want stopped", got)
	}
	run("uninstall", "--name="+name)
	var errOut strings.Builder
	if code := Command([]string{"start", "--name=" + name}, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "not installed") {
		t.Errorf("start after uninstall: exit %d, %q", code, errOut.String())
	}
}
