package proc

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func TestParseStatNameWithSpacesAndParens(t *testing.T) {
	// Fields after the name: state ppid pgrp session tty tpgid flags
	// minflt cminflt majflt cmajflt utime stime ...
	line := "1234 (a (weird) name) S 1 1 1 0 -1 4194560 10 0 0 0 250 150 0 0 20 0 1 0"
	got, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 4 * time.Second; got != want {
		t.Errorf("CPU = %s, want %s", got, want)
	}
	if _, err := parseStat("1234 no name"); err == nil {
		t.Error("a line without a name parsed")
	}
}

func TestOwnProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	end := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(end) { // burn a little CPU to see
	}
	cpu, err := CPU(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Errorf("CPU = %s, %v", cpu, err)
	}
	m, err := Mem(os.Getpid())
	if err != nil || m.RSS == 0 || m.Peak < m.RSS || m.File == 0 || m.File > m.RSS {
		t.Errorf("Mem = %+v, %v", m, err)
	}
}

func TestAllHasThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	self, ok := All()[os.Getpid()]
	if !ok || self.PPID != os.Getppid() || self.Name == "" || self.CPU <= 0 {
		t.Errorf("this process: %+v, found %v", self, ok)
	}
}

func TestTreeHasChild(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if kids := descendants(All(), os.Getpid()); !slices.Contains(kids, cmd.Process.Pid) {
		t.Errorf("descendants %v lack the child %d", kids, cmd.Process.Pid)
	}
	own, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if tree := TreeCPU(os.Getpid()); tree < own {
		t.Errorf("TreeCPU %s below the process's own %s", tree, own)
	}
	if pss := TreePSS(os.Getpid()); pss == 0 {
		t.Error("TreePSS of a tree with a running child is 0")
	}
}
