package agent

import (
	"runtime/debug"
	"time"
)

// Revision and BuildDate are stamped by scripts/release with
// -ldflags "-X github.com/sloagent/sloagent/agent.Revision=... -X ...BuildDate=...",
// beside Version. Unset, the revision and date come from the version
// control information go build records, when it does.
var (
	Revision  = ""
	BuildDate = ""
)

// buildDate is when the binary was built, or else when its revision was
// committed, or "unknown".
func buildDate() string {
	if BuildDate != "" {
		return BuildDate
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return t.UTC().Format(time.RFC3339)
				}
			}
		}
	}
	return "unknown"
}
