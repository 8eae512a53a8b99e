package proctree

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

func TestMain(m *testing.M) {
	Main()
	switch os.Getenv("PROCTREE_TEST_ROLE") {
	case "parent": // starts a child of its own, outside anything of this package
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), "PROCTREE_TEST_ROLE=child")
		if err := child.Start(); err != nil {
			os.Exit(3)
		}
		os.WriteFile(os.Getenv("PROCTREE_TEST_PIDS"), []byte(strconv.Itoa(child.Process.Pid)), 0o644)
		if os.Getenv("PROCTREE_TEST_EXIT") != "" {
			os.Exit(0)
		}
		time.Sleep(time.Hour)
	case "child":
		time.Sleep(time.Hour)
	}
	os.Exit(m.Run())
}

// A process's job holds what it starts: killing the process, or its exit,
// ends the grandchild too.
func TestJobEndsTree(t *testing.T) {
	for _, exit := range []bool{false, true} {
		pids := filepath.Join(t.TempDir(), "pids")
		env := append(os.Environ(), "PROCTREE_TEST_ROLE=parent", "PROCTREE_TEST_PIDS="+pids)
		if exit {
			env = append(env, "PROCTREE_TEST_EXIT=1")
		}
		p, err := Start(Spec{Path: os.Args[0], Args: []string{os.Args[0], "-test.run=^$"}, Env: env})
		if err != nil {
			t.Fatal(err)
		}
		var child int
		for end := time.Now().Add(30 * time.Second); child == 0; time.Sleep(50 * time.Millisecond) {
			b, _ := os.ReadFile(pids)
			child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			if time.Now().After(end) {
				t.Fatal("the grandchild did not start")
			}
		}
		h, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(child))
		if err != nil {
			t.Fatalf("grandchild %d: %v", child, err)
		}
		if !exit {
			p.Kill()
		}
		select {
		case <-p.Done():
		case <-time.After(30 * time.Second):
			t.Fatal("not done")
		}
		if ev, _ := windows.WaitForSingleObject(h, 10000); ev != windows.WAIT_OBJECT_0 {
			t.Errorf("exit=%v: the grandchild outlived its parent's job", exit)
		}
		windows.CloseHandle(h)
	}
}
