package agent

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sloagent/sloagent/agent/schedule"
)

// BenchmarkFinishWithSLO is recording one passing run of a probe that an
// SLO counts: the probe's state, the SLO's event, and what the people on
// call need (the probe's run history, its alert, the incidents' daily
// counts).
func BenchmarkFinishWithSLO(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "sloagent.yml")
	cfg := "agent: {name: bench}\nprobes: [{name: p, target: \"http://127.0.0.1:1/\", interval: 1h}]\n" +
		"slos: [{name: s, probes: [p], objective: 99.9, latency_threshold: 1s}]\n"
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	a := loadedAgent(b, Options{ConfigFile: file, StateDir: filepath.Join(dir, "state")})
	a.mu.RLock()
	st := a.states["p"]
	a.mu.RUnlock()
	res, _ := benchResult(b)
	o := schedule.Outcome{Result: res}
	b.ReportAllocs()
	for b.Loop() {
		o.Start = time.Now()
		a.finish(st, st.cfg, o)
	}
}
