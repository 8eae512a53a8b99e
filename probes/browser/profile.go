package browser

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// profilePattern names the profile directories the agent makes, in the
// system's temporary directory.
const profilePattern = "sloagent-chromium-"

// profileMark is the file in each profile directory that says which agent
// process made it, so that an agent killed before it could remove its
// profile has it removed at the next start, and nothing else is.
const profileMark = "sloagent-owner"

// newProfileDir makes a profile directory in parent (the system's
// temporary directory), marked as this process's.
func newProfileDir(parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, profilePattern)
	if err != nil {
		return "", err
	}
	mark := strconv.Itoa(os.Getpid()) + " " + processStart(os.Getpid()) + "\n"
	if err := os.WriteFile(filepath.Join(dir, profileMark), []byte(mark), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// removeStaleProfiles removes the profile directories that agents which
// are gone (killed with SIGKILL, or by a crash of the host) left in parent,
// the temporary directory. A directory without the mark, or one whose agent
// still runs, is left alone.
func removeStaleProfiles(log *slog.Logger, parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	removed := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), profilePattern) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, profileMark))
		if err != nil {
			continue
		}
		var pid int
		var start string
		if _, err := fmt.Sscan(string(data), &pid, &start); err != nil || pid <= 0 {
			continue
		}
		if processAlive(pid, start) {
			continue
		}
		if err := removeProfile(dir); err != nil {
			log.Warn("removing a browser profile left by an agent that is gone", "dir", dir, "err", err)
			continue
		}
		removed++
	}
	if removed > 0 {
		log.Info("removed browser profiles left by agents that were killed", "count", removed, "dir", parent)
	}
}

// removeProfile kills what still uses the profile dir and removes it. The
// processes of a browser whose agent died, or that was just killed, may
// still be writing into it for a moment (the network service flushes its
// databases as it exits), so a removal that fails is retried, killing
// again first.
func removeProfile(dir string) error {
	var err error
	for i := 0; i < 20; i++ {
		killTree(0, dir)
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}
