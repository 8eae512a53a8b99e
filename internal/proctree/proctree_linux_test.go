package proctree

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

func TestMain(m *testing.M) {
	Main()
	if dir := os.Getenv("PROCTREE_TEST_HOST"); dir != "" {
		hostMain(dir) // the agent stand-in of TestAgentKilled; never returns
	}
	os.Exit(m.Run())
}

// keepers returns the two ways a keeper tells trees apart that this machine
// can run: by cgroup (where the test may make them) and by mark.
func keepers(t *testing.T) map[string]*Keeper {
	t.Helper()
	out := map[string]*Keeper{"mark": NewKeeper(Options{NoCgroup: true})}
	if cgroupsWork() {
		out["cgroup"] = NewKeeper(Options{})
	} else {
		t.Log("cgroups cannot be made here: testing marks only")
	}
	t.Cleanup(func() {
		for _, k := range out {
			k.Close()
		}
	})
	return out
}

func cgroupsWork() bool {
	c := openCgroups(os.Getpid())
	if c == nil {
		return false
	}
	c.close()
	return true
}

func shell(script string) Spec {
	return Spec{Path: "/bin/sh", Args: []string{"sh", "-c", script}, Env: []string{"PATH=/usr/bin:/bin"}}
}

// escaping is a script that leaves behind a child in its group, one that
// left the group with setsid, and one in a daemon's way (fork, setsid,
// fork, the middle one exits), writing their pids to file; then it waits
// for release to be called and runs tail.
func escaping(file, tail string) string {
	return fmt.Sprintf(`f=%s
sleep 300 & echo $! >> $f
setsid sleep 300 & echo $! >> $f
(setsid sh -c 'sleep 300 & echo $! >> '$f'; exec sleep 301' &)
while [ "$(wc -l < $f)" -lt 3 ]; do sleep 0.01; done
while [ ! -e $f.go ]; do sleep 0.01; done
%s
`, file, tail)
}

// release lets the script of escaping that writes file carry on.
func release(t *testing.T, file string) {
	t.Helper()
	if err := os.WriteFile(file+".go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// proc is a process seen by the test, with its start time so that a pid
// used again later is not taken for it.
type proc struct {
	pid   int
	start string
}

func procStat(pid int) (state, start string) {
	st := stat(pid)
	return st.State, strconv.FormatUint(st.Starttime, 10)
}

func (p proc) alive() bool {
	state, start := procStat(p.pid)
	return state != "" && state != "Z" && start == p.start
}

// readProcs waits for n pids in file and returns them, all alive.
func readProcs(t *testing.T, file string, n int) []proc {
	t.Helper()
	var ps []proc
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(file)
		if f := strings.Fields(string(b)); len(f) >= n {
			for _, s := range f {
				pid, _ := strconv.Atoi(s)
				_, start := procStat(pid)
				ps = append(ps, proc{pid, start})
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%s never had %d pids", file, n)
		}
	}
	for _, p := range ps {
		if !p.alive() {
			t.Fatalf("process %d is not running", p.pid)
		}
	}
	return ps
}

func checkDead(t *testing.T, ps []proc) {
	t.Helper()
	for _, p := range ps {
		if p.alive() {
			t.Errorf("process %d is still running", p.pid)
		}
	}
}

func waitDone(t *testing.T, p *Proc) Status {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(15 * time.Second):
		t.Fatalf("process %d: not done", p.Pid())
	}
	st, err := p.Wait()
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return st
}

// What a process leaves running is killed when it exits, whether it left
// its process group or not, and only then is it done.
func TestLeftoversKilledAtExit(t *testing.T) {
	t.Parallel()
	for name, k := range keepers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pids := filepath.Join(t.TempDir(), "pids")
			p, err := k.Start(shell(escaping(pids, "exit 3")))
			if err != nil {
				t.Fatal(err)
			}
			ps := readProcs(t, pids, 3)
			release(t, pids)
			if st := waitDone(t, p); st.Code != 3 || st.Signal != 0 || st.String() != "exit status 3" {
				t.Errorf("status %+v", st)
			}
			checkDead(t, ps)
		})
	}
}

// Killing a process kills its whole tree.
func TestKillEndsTree(t *testing.T) {
	t.Parallel()
	for name, k := range keepers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pids := filepath.Join(t.TempDir(), "pids")
			p, err := k.Start(shell(escaping(pids, "exec sleep 300")))
			if err != nil {
				t.Fatal(err)
			}
			ps := readProcs(t, pids, 3)
			p.Kill()
			if st := waitDone(t, p); st.Signal != syscall.SIGKILL || st.String() != "signal: killed" {
				t.Errorf("status %+v", st)
			}
			checkDead(t, append(ps, proc{p.Pid(), ""}))
			p.Kill() // a second time does nothing
		})
	}
}

// An orphan of a tree that still runs (a plugin's helper) is left alone
// when another tree ends.
func TestOtherTreesKept(t *testing.T) {
	t.Parallel()
	for name, k := range keepers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a, err := k.Start(shell(fmt.Sprintf("(setsid sleep 300 & echo $! > %s/a)\nexec sleep 300", dir)))
			if err != nil {
				t.Fatal(err)
			}
			orphan := readProcs(t, dir+"/a", 1)
			b, err := k.Start(shell(escaping(dir+"/b", "exit 0")))
			if err != nil {
				t.Fatal(err)
			}
			bs := readProcs(t, dir+"/b", 3)
			release(t, dir+"/b")
			waitDone(t, b)
			checkDead(t, bs)
			if !orphan[0].alive() {
				t.Fatal("the running tree's orphan was killed with another tree")
			}
			a.Kill()
			waitDone(t, a)
			checkDead(t, orphan)
		})
	}
}

func TestStatusAndOutput(t *testing.T) {
	t.Parallel()
	for name, k := range keepers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := os.CreateTemp(t.TempDir(), "out")
			if err != nil {
				t.Fatal(err)
			}
			s := shell(`echo "to stdout $SLOAGENT_PROCTREE"; echo to stderr >&2; kill -TERM $$`)
			s.Stdout, s.Dir = out, "/tmp"
			p, err := k.Start(s)
			if err != nil {
				t.Fatal(err)
			}
			if st := waitDone(t, p); st.Signal != syscall.SIGTERM || st.Code != -1 || st.String() != "signal: terminated" {
				t.Errorf("status %+v", st)
			}
			b, _ := os.ReadFile(out.Name())
			if !strings.HasPrefix(string(b), "to stdout ") || !strings.Contains(string(b), ".") {
				t.Errorf("stdout %q", b)
			}
			p, err = k.Start(shell("exit 0"))
			if err != nil {
				t.Fatal(err)
			}
			if st := waitDone(t, p); !st.Success() {
				t.Errorf("status %+v", st)
			}
			_, err = k.Start(Spec{Path: "/nonexistent/check", Args: []string{"check"}})
			if err == nil || err.Error() != "fork/exec /nonexistent/check: no such file or directory" {
				t.Errorf("missing executable: %v", err)
			}
		})
	}
}

func TestStartPiped(t *testing.T) {
	p, stdout, stderr, err := StartPiped(shell(`echo to stdout; echo to stderr >&2`))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	defer stderr.Close()
	out, _ := io.ReadAll(stdout)
	errOut, _ := io.ReadAll(stderr)
	if st := waitDone(t, p); !st.Success() {
		t.Errorf("status %+v", st)
	}
	if string(out) != "to stdout\n" || string(errOut) != "to stderr\n" {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}
	if _, _, _, err := StartPiped(Spec{Path: "/nonexistent/check", Args: []string{"check"}}); err == nil {
		t.Error("a missing executable started")
	}
}

// When the keeper dies, its processes die with it, their waits say so, and
// the next start starts a new keeper.
func TestKeeperDies(t *testing.T) {
	t.Parallel()
	k := NewKeeper(Options{NoCgroup: true})
	defer k.Close()
	p, err := k.Start(shell("exec sleep 300"))
	if err != nil {
		t.Fatal(err)
	}
	_, start := procStat(p.Pid())
	if err := syscall.Kill(k.pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if _, err := p.Wait(); err == nil || !strings.Contains(err.Error(), "process keeper exited (signal: killed)") {
		t.Errorf("wait: %v", err)
	}
	for end := time.Now().Add(5 * time.Second); (proc{p.Pid(), start}).alive(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the process outlived its keeper")
		}
	}
	p, err = k.Start(shell("exit 4"))
	if err != nil {
		t.Fatal(err)
	}
	if st := waitDone(t, p); st.Code != 4 {
		t.Errorf("status %+v", st)
	}
}

// SIGKILL of the agent leaves nothing of any tree, grandchildren that left
// the process group included.
func TestAgentKilled(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"cgroup", "mark"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			if mode == "cgroup" && !cgroupsWork() {
				t.Skip("cgroups cannot be made here")
			}
			dir := t.TempDir()
			host := testutil.StartChild(t, "^$", "PROCTREE_TEST_HOST="+dir, "PROCTREE_TEST_MODE="+mode)
			keeper, _ := strconv.Atoi(strings.TrimSpace(host.Line(t)))
			_, start := procStat(keeper)
			ps := append(readProcs(t, dir+"/1", 3), readProcs(t, dir+"/2", 3)...)
			ps = append(ps, proc{keeper, start})
			host.Kill(t)
			for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				n := 0
				for _, p := range ps {
					if p.alive() {
						n++
					}
				}
				if n == 0 {
					return
				}
				if time.Now().After(end) {
					checkDead(t, ps)
					return
				}
			}
		})
	}
}

// hostMain starts two trees that escape their groups, prints the keeper's
// pid and waits to be killed.
func hostMain(dir string) {
	k := NewKeeper(Options{NoCgroup: os.Getenv("PROCTREE_TEST_MODE") == "mark"})
	for _, name := range []string{"1", "2"} {
		if _, err := k.Start(shell(escaping(filepath.Join(dir, name), "exec sleep 300"))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Println(k.pid())
	select {}
}
