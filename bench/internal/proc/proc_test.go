package proc

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

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
