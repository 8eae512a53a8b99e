//go:build linux

package browser

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// setProcAttr puts Chromium in its own process group, so that Close can kill
// every helper process at once, and asks the kernel to kill it when the agent
// dies, even by SIGKILL. chromedp starts the browser from a goroutine locked
// to its thread until the browser exits, which Pdeathsig needs.
func setProcAttr(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = new(syscall.SysProcAttr)
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

// killTree kills Chromium's process group and then every process left whose
// command line names dir as its profile: helpers can outlive the main
// process, and a helper forked just before a kill may join late, so it looks
// until a few passes in a row find nothing.
func killTree(pgid int, dir string) {
	if pgid > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	quiet := 0
	for pass := 0; pass < 100 && quiet < 3; pass++ {
		if n := killUsing(dir); n == 0 {
			quiet++
		} else {
			quiet = 0
		}
		if pass > 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func killUsing(dir string) int {
	n := 0
	for _, pid := range ProcessesUsing(dir) {
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

// ProcessesUsing lists the live processes (not zombies) that use dir as a
// browser profile: those whose command line has --user-data-dir=dir (the
// browser's main process) and those that hold a file open under dir (its
// helpers do not repeat the flag, and the network service keeps its
// databases there, writing to them until it exits). Tests and the agent's
// own checks use it to prove nothing of a browser is left. Chromium's
// helpers rewrite their command line as one string of space-separated
// arguments, so the flag is looked for between NULs or spaces.
func ProcessesUsing(dir string) []int {
	if dir == "" {
		return nil
	}
	want := []byte("--user-data-dir=" + dir)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(cmdline) == 0 {
			continue // gone, a zombie, or a kernel thread
		}
		if hasArg(cmdline, want) || holdsFileUnder(e.Name(), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// holdsFileUnder reports whether process pid has a file under dir open.
func holdsFileUnder(pid, dir string) bool {
	fds := "/proc/" + pid + "/fd/"
	entries, err := os.ReadDir(fds)
	if err != nil {
		return false
	}
	for _, e := range entries {
		target, err := os.Readlink(fds + e.Name())
		if err == nil && (target == dir || strings.HasPrefix(target, dir+"/")) {
			return true
		}
	}
	return false
}

// hasArg reports whether arg is one of the arguments in cmdline, separated
// by NULs or spaces.
func hasArg(cmdline, arg []byte) bool {
	sep := func(c byte) bool { return c == 0 || c == ' ' }
	for i := 0; ; {
		j := bytes.Index(cmdline[i:], arg)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(arg)
		if (start == 0 || sep(cmdline[start-1])) && (end == len(cmdline) || sep(cmdline[end])) {
			return true
		}
		i = start + 1
	}
}

// treeMemory returns the proportional set size of every process in the
// process group pgid: PSS splits shared pages among the processes that map
// them, so Chromium's many helpers are not each charged for the whole
// binary, as RSS would. It falls back to RSS where smaps_rollup is missing.
func treeMemory(pgid int) int64 {
	if pgid <= 0 {
		return 0
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var total int64
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if processGroup(e.Name()) != pgid {
			continue
		}
		total += processMemory(e.Name())
	}
	return total
}

// treeProcesses lists the processes of process group pgid with their
// type and PSS, the group's leader (the browser's main process) first.
func treeProcesses(pgid int) []Process {
	if pgid <= 0 {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || processGroup(e.Name()) != pgid {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(cmdline) == 0 {
			continue // gone, or a zombie
		}
		// Helpers rewrite their command line as one string of
		// space-separated arguments.
		args := strings.FieldsFunc(string(cmdline), func(r rune) bool { return r == 0 || r == ' ' })
		p := Process{PID: pid, Type: processType(args), PSSBytes: processMemory(e.Name())}
		if pid == pgid {
			out = append([]Process{p}, out...)
		} else {
			out = append(out, p)
		}
	}
	return out
}

// processGroup reads the fifth field of /proc/pid/stat; the second, the
// command name, is in parentheses and may hold spaces.
func processGroup(pid string) int {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return -1
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return -1
	}
	g, err := strconv.Atoi(f[2])
	if err != nil {
		return -1
	}
	return g
}

func processMemory(pid string) int64 {
	if b, err := os.ReadFile("/proc/" + pid + "/smaps_rollup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "Pss:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				return kb << 10
			}
		}
	}
	b, err := os.ReadFile("/proc/" + pid + "/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// memorySupported reports whether treeMemory measures anything here.
const memorySupported = true

// processStart is the start time of pid in clock ticks since boot (field
// 22 of /proc/pid/stat): with the pid, it names a process even after the
// pid is reused.
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "0"
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "0"
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return "0"
	}
	return f[19]
}

// processAlive reports whether the process pid that started at start
// still runs.
func processAlive(pid int, start string) bool {
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	return start == "0" || processStart(pid) == start
}
