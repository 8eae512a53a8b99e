//go:build linux

package browser

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// TestKilledBrowserIsReplaced kills Chromium from outside in the middle of a
// run: that run fails, the next gets a new browser. It then hangs the
// browser and lets it serve its quota of runs, each of which replaces it,
// and checks Close leaves no process of any of them behind.
func TestKilledBrowserIsReplaced(t *testing.T) {
	s := newSite(t)
	b, err := Start(context.Background(), Options{}, t.TempDir(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	firstPID, firstDir := b.PID(), b.ProfileDir()
	if firstPID == 0 || firstDir == "" {
		t.Fatalf("no browser after Start: pid %d, profile %q", firstPID, firstDir)
	}

	hang := parseConfig(t, `steps: [{navigate: /hang, timeout: 30s}]`)
	done := make(chan probes.Result, 1)
	go func() { done <- runProbe(t, b, s.URL, hang, 40*time.Second) }()
	select {
	case <-s.slow: // the page is loading
	case res := <-done:
		t.Fatalf("the run ended before the kill: %+v", res)
	case <-time.After(20 * time.Second):
		t.Fatal("the page never started loading")
	}
	if err := syscall.Kill(firstPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var res probes.Result
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not end after the browser was killed")
	}
	if res.Success || res.Reason != probes.ReasonBrowserUnavailable || !strings.Contains(res.Message, "crashed or was killed") {
		t.Fatalf("run during the kill: %v %q %q", res.Success, res.Reason, res.Message)
	}

	ok := parseConfig(t, `steps: [{navigate: /plain}, {assert_text: {selector: "#ok", contains: good}}]`)
	res = runProbe(t, b, s.URL, ok, 30*time.Second)
	if !res.Success {
		t.Fatalf("run after the kill: %s: %s", res.Reason, res.Message)
	}
	st := b.Stats()
	if st.Restarts[RestartCrash] != 1 || st.Starts != 2 || !st.Up || st.Runs != 2 {
		t.Errorf("stats %+v", st)
	}
	secondDir := b.ProfileDir()
	if secondDir == firstDir || b.PID() == firstPID {
		t.Errorf("the browser was not replaced")
	}

	// A browser that stops answering is replaced before the next run.
	if err := syscall.Kill(b.PID(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	res = runProbe(t, b, s.URL, ok, 40*time.Second)
	if !res.Success {
		t.Fatalf("run after the browser hung: %s: %s", res.Reason, res.Message)
	}
	if st := b.Stats(); st.Restarts[RestartUnresponsive] != 1 {
		t.Errorf("stats %+v", st)
	}
	thirdDir := b.ProfileDir()

	// After restart_after_runs runs, the next run gets a new browser.
	b.mu.Lock()
	b.opts.RestartAfterRuns = 1
	b.mu.Unlock()
	if res := runProbe(t, b, s.URL, ok, 40*time.Second); !res.Success {
		t.Fatalf("run after the planned restart: %s: %s", res.Reason, res.Message)
	}
	fourthDir := b.ProfileDir()
	if st := b.Stats(); st.Restarts[RestartRuns] != 1 || fourthDir == thirdDir {
		t.Errorf("stats %+v: want a restart after the runs", st)
	}

	// Above memory_limit, the browser is due for a restart; its memory is
	// the real use of its process tree.
	waitIdle(t, b)
	b.mu.Lock()
	b.opts.RestartAfterRuns = -1
	b.opts.MemoryLimit = 1
	reason := b.restartReason(b.cur)
	b.opts.MemoryLimit = 1 << 40
	fine := b.restartReason(b.cur)
	b.mu.Unlock()
	if st := b.Stats(); reason != RestartMemory || fine != "" || st.MemoryBytes < 10<<20 || st.MemoryBytes > 4<<30 {
		t.Errorf("restart reasons %q and %q, memory %d bytes", reason, fine, st.MemoryBytes)
	}

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{firstDir, secondDir, thirdDir, fourthDir} {
		if left := ProcessesUsing(dir); len(left) > 0 {
			t.Errorf("processes of %s left after Close: %v", dir, left)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("profile %s not removed: %v", dir, err)
		}
	}
	if z := zombieChildren(); len(z) > 0 {
		t.Errorf("zombie children left: %v", z)
	}
	res = runProbe(t, b, s.URL, ok, 5*time.Second)
	if res.Reason != probes.ReasonBrowserUnavailable {
		t.Errorf("run after Close: %q %q", res.Reason, res.Message)
	}
}

// zombieChildren lists this process's children that exited and were not
// reaped.
func zombieChildren() []int {
	self := os.Getpid()
	return pids(procsWhere(func(s procfs.ProcStat) bool { return s.State == "Z" && s.PPID == self }))
}

func pids(procs []procfs.Proc) []int {
	out := make([]int, len(procs))
	for i, p := range procs {
		out[i] = p.PID
	}
	return out
}

// TestBrowserDiesWithTheAgent kills an agent with SIGKILL, which gives it no
// chance to stop anything: Chromium must still go away with it, even when
// it is hung. The agent's temporary directory is the test's own, so that
// other agents starting on this machine do not clean it up first.
func TestBrowserDiesWithTheAgent(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the child's output: %v", err)
	}
	var pid int
	var dir string
	if _, err := fmt.Sscanf(line, "started %d %s", &pid, &dir); err != nil {
		t.Fatalf("child said %q", line)
	}
	if filepath.Dir(dir) != tmp {
		t.Fatalf("the child's profile %s is not in its TMPDIR %s", dir, tmp)
	}
	if len(ProcessesUsing(dir)) == 0 {
		t.Fatal("no Chromium processes found for the child's browser")
	}
	// A stopped browser cannot notice that its pipe to the agent closed,
	// as a running one would: only the parent-death signal ends it.
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// Every process of the browser goes: those that use the profile, and
	// the helpers in its process group that do not.
	deadline := time.Now().Add(15 * time.Second)
	for {
		left := append(ProcessesUsing(dir), groupMembers(pid)...)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			killTree(pid, dir)
			t.Fatalf("Chromium processes outlived the killed agent: %v", left)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The killed agent could not remove its profile: the next start does,
	// and leaves alone what a live agent uses or what the agent did not
	// make.
	if _, err := os.Stat(filepath.Join(dir, profileMark)); err != nil {
		t.Fatalf("the profile is not marked: %v", err)
	}
	live, err := newProfileDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	unmarked, err := os.MkdirTemp(tmp, profilePattern)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	removeStaleProfiles(slog.New(slog.NewTextHandler(&logged, nil)), tmp)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the killed agent's profile %s is still there: %v", dir, err)
	}
	for _, d := range []string{live, unmarked} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
	if !strings.Contains(logged.String(), "removed browser profiles left by agents that were killed") || strings.Contains(logged.String(), "level=WARN") {
		t.Errorf("logged %q", logged.String())
	}
}

// TestStaleProfileStillInUse removes the profile of an agent that is gone
// while a Chromium still runs on it and writes into it, as the processes
// of a browser do for a moment after their agent was killed: the removal
// ends them first.
func TestStaleProfileStillInUse(t *testing.T) {
	t.Parallel()
	path, err := resolvePath("")
	if err != nil || path == "" {
		t.Skip("no Chromium")
	}
	tmp := t.TempDir()
	dir, err := os.MkdirTemp(tmp, profilePattern)
	if err != nil {
		t.Fatal(err)
	}
	// The mark of an agent that exited.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	mark := fmt.Sprintf("%d 1\n", gone.ProcessState.Pid())
	if err := os.WriteFile(filepath.Join(dir, profileMark), []byte(mark), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--remote-debugging-port=0", "--user-data-dir="+dir, "about:blank")
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	defer func() {
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}()
	// Running, with its network service holding a database in the profile.
	for deadline := time.Now().Add(30 * time.Second); len(ProcessesUsing(dir)) < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Chromium did not start using %s: %v", dir, ProcessesUsing(dir))
		}
	}
	var logged bytes.Buffer
	removeStaleProfiles(slog.New(slog.NewTextHandler(&logged, nil)), tmp)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the profile %s is still there: %v", dir, err)
	}
	if left := ProcessesUsing(dir); len(left) > 0 {
		t.Errorf("processes still use the removed profile: %v", left)
	}
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		t.Errorf("the browser on the stale profile still runs")
	}
	if !strings.Contains(logged.String(), "removed browser profiles left by agents that were killed") || strings.Contains(logged.String(), "level=WARN") {
		t.Errorf("logged %q", logged.String())
	}
}

// groupMembers lists the live processes (not zombies) of process group
// pgid.
func groupMembers(pgid int) []int {
	return pids(procsWhere(func(s procfs.ProcStat) bool { return s.State != "Z" && s.PGRP == pgid }))
}

// waitIdle waits until the runs that returned have also closed their tabs.
func waitIdle(t *testing.T, b *Browser) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b.mu.Lock()
		active := b.active
		b.mu.Unlock()
		if active == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs still hold the browser", active)
		}
	}
}

// TestBrowserThatFailsToStart covers a browser that exits at once and one
// that never answers: both give a clear error and leave nothing running.
func TestBrowserThatFailsToStart(t *testing.T) {
	dir := t.TempDir()
	exits := dir + "/exits"
	if err := os.WriteFile(exits, []byte("#!/bin/sh\necho 'Missing X server or $DISPLAY' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := Check(Options{ChromiumPath: exits})
	if want := "starting " + exits + ": the browser exited at start: Missing X server or $DISPLAY"; err == nil || err.Error() != want {
		t.Errorf("Check: %v, want %s", err, want)
	}

	hangs := dir + "/hangs"
	pidFile := dir + "/pid"
	if err := os.WriteFile(hangs, []byte("#!/bin/sh\necho $$ > "+pidFile+"\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	err = Check(Options{ChromiumPath: hangs, StartTimeout: conf.Duration(time.Second)})
	if want := "starting " + hangs + ": no answer within 1s"; err == nil || err.Error() != want {
		t.Errorf("Check: %v, want %s", err, want)
	}
	if took := time.Since(t0); took > 15*time.Second {
		t.Errorf("Check took %s", took)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if pid <= 0 {
		t.Fatalf("pid file %q", data)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("the browser that never answered (pid %d) still runs", pid)
	}
}

func TestHasArg(t *testing.T) {
	arg := []byte("--user-data-dir=/tmp/p1")
	for cmdline, want := range map[string]bool{
		"/usr/lib/chromium/chromium\x00--user-data-dir=/tmp/p1\x00about:blank":            true,
		"/usr/lib/chromium/chromium --type=renderer --user-data-dir=/tmp/p1 --lang=en-US": true,
		"chromium --user-data-dir=/tmp/p1":                                                true,
		"chromium --user-data-dir=/tmp/p10":                                               false,
		"chromium --user-data-dir=/tmp/p1/x":                                              false,
		"chromium x--user-data-dir=/tmp/p1 y":                                             false,
	} {
		if got := hasArg([]byte(cmdline), arg); got != want {
			t.Errorf("%q: %v, want %v", cmdline, got, want)
		}
	}
}
