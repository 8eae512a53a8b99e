package proctree

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// cgroups are the keeper's cgroup v2 directories: base, made beside the
// keeper in its own cgroup, holds one cgroup per started process. A cgroup
// holds every descendant whatever it does, and cgroup.kill kills them all at
// once, forks in flight included.
type cgroups struct {
	base string
	rel  string // base within the hierarchy, as /proc/<pid>/cgroup shows it
}

const cgroupPrefix = "sloagent-keeper-"

// openCgroups makes the keeper's cgroup directory, or returns nil where it
// cannot (no cgroup v2, no cgroup.kill before Linux 5.14, no permission: a
// service without delegation, most containers).
func openCgroups(self int) *cgroups {
	mnt, rel := cgroup2Mount(), ownCgroup()
	if mnt == "" || rel == "" {
		return nil
	}
	parent := filepath.Join(mnt, rel)
	removeStale(parent)
	base := filepath.Join(parent, cgroupPrefix+strconv.Itoa(self))
	if err := os.Mkdir(base, 0o755); err != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(base, "cgroup.kill")); err != nil {
		_ = os.Remove(base)
		return nil
	}
	return &cgroups{base: base, rel: filepath.Join(rel, cgroupPrefix+strconv.Itoa(self))}
}

// create makes the cgroup of the process with id and opens it for clone3.
func (c *cgroups) create(id uint64) (string, int, error) {
	dir := filepath.Join(c.base, "p"+strconv.FormatUint(id, 10))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", -1, err
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		_ = os.Remove(dir)
		return "", -1, err
	}
	return dir, fd, nil
}

// kill kills every process in dir and reports whether any is left.
func (c *cgroups) kill(dir string) bool {
	if !populated(dir) {
		return false
	}
	_ = os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
	return populated(dir)
}

// idOf returns the id of the process whose cgroup a /proc/<pid>/cgroup
// names, if it is one of the keeper's.
func (c *cgroups) idOf(procCgroup string) (uint64, bool) {
	for _, line := range strings.Split(procCgroup, "\n") {
		p, ok := strings.CutPrefix(line, "0::"+c.rel+"/p")
		if !ok {
			continue
		}
		id, err := strconv.ParseUint(p, 10, 64)
		return id, err == nil
	}
	return 0, false
}

func (c *cgroups) remove(dir string) { _ = os.Remove(dir) }

// killAll kills every process in every cgroup of the keeper.
func (c *cgroups) killAll() {
	_ = os.WriteFile(filepath.Join(c.base, "cgroup.kill"), []byte("1"), 0)
}

// close removes the keeper's directories, waiting a little for the last
// processes to leave them.
func (c *cgroups) close() {
	removeTree(c.base)
}

func removeTree(base string) {
	ents, _ := os.ReadDir(base)
	for end := time.Now().Add(time.Second); populated(base) && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	for _, e := range ents {
		if e.IsDir() {
			_ = os.Remove(filepath.Join(base, e.Name()))
		}
	}
	_ = os.Remove(base)
}

// removeStale kills and removes what a keeper that died (SIGKILL, or a
// crash) left in parent: its processes should have ended with it.
func removeStale(parent string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), cgroupPrefix))
		if !e.IsDir() || !strings.HasPrefix(e.Name(), cgroupPrefix) || err != nil || isKeeper(pid) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		_ = os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
		removeTree(dir)
	}
}

// isKeeper reports whether pid is a live keeper.
func isKeeper(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	argv0, _, _ := bytes.Cut(b, []byte{0})
	return string(argv0) == keeperName
}

func populated(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	if err != nil {
		return false
	}
	return bytes.Contains(b, []byte("populated 1"))
}

// ownCgroup is this process's cgroup v2 path ("0::/path" in /proc/self/cgroup).
func ownCgroup() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	return ""
}

// cgroup2Mount is where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup,
// or /sys/fs/cgroup/unified on a host in hybrid mode.
func cgroup2Mount() string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// "36 35 0:30 / /sys/fs/cgroup rw,... shared:9 - cgroup2 cgroup2 rw"
		pre, post, ok := strings.Cut(s.Text(), " - ")
		if !ok || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		f := strings.Fields(pre)
		if len(f) >= 5 {
			return unescapeMount(f[4])
		}
	}
	return ""
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
