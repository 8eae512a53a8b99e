package agent

import (
	"os"
	"testing"

	"github.com/sloagent/sloagent/internal/proctree"
)

// TestMain lets the test binary be the process keeper of the checks and
// plugins its tests start, as the agent's binary is.
func TestMain(m *testing.M) {
	proctree.Main()
	os.Exit(m.Run())
}
