package browser

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// profilePattern names the profile directories the agent makes, in the
// system's temporary directory.
const profilePattern = "sloagent-chromium-"

// profileMark is the file in each profile directory that says which agent
// process made it, so that an agent killed before it could remove its
// profile has it removed at the next start, and nothing else is.
const profileMark = "sloagent-owner"

// newProfileDir makes a profile directory marked as this process's.
func newProfileDir() (string, error) {
	dir, err := os.MkdirTemp("", profilePattern)
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
// are gone (killed with SIGKILL, or by a crash of the host) left in the
// temporary directory. A directory without the mark, one whose agent still
// runs, or one a Chromium process still uses is left alone.
func removeStaleProfiles(log *slog.Logger) {
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	removed := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), profilePattern) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, profileMark))
		if err != nil {
			continue
		}
		var pid int
		var start string
		if _, err := fmt.Sscan(string(data), &pid, &start); err != nil || pid <= 0 {
			continue
		}
		if processAlive(pid, start) || len(ProcessesUsing(dir)) > 0 {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("removing a browser profile left by an agent that is gone", "dir", dir, "err", err)
			continue
		}
		removed++
	}
	if removed > 0 {
		log.Info("removed browser profiles left by agents that were killed", "count", removed, "dir", tmp)
	}
}
