package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/proctree"
	"github.com/sloagent/sloagent/probes"
)

// bin holds the plugin binaries, built once per test binary.
var bin string

func TestMain(m *testing.M) {
	proctree.Main()
	if os.Getenv("SLOAGENT_TEST_HOST") != "" {
		hostMain() // the SIGKILL test's agent stand-in; never returns
	}
	dir, err := os.MkdirTemp("", "sloagent-plugins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var buildOnce sync.Once
var buildErr error

// pluginPath returns the path of a first-party or test plugin, building all of
// them on first use (without -race: they are separate processes).
func pluginPath(t testing.TB, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", bin+string(os.PathSeparator),
			"./tcp", "./internal/testplugins/testplugin")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building plugins: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(bin, name)
}

// supervise starts a supervisor for cs with fast restarts, closed at the end
// of the test.
func supervise(t testing.TB, cs ...Config) (*Supervisor, *testutil.Buffer) {
	t.Helper()
	lb := &testutil.Buffer{}
	log := slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for i := range cs {
		if cs[i].RestartBackoff == 0 {
			cs[i].RestartBackoff = conf.Duration(50 * time.Millisecond)
			cs[i].MaxRestartBackoff = conf.Duration(400 * time.Millisecond)
		}
		cs[i].Defaults()
		r := conf.NewReport()
		cs[i].Validate(r)
		if !r.Empty() {
			t.Fatalf("config: %v", r.Problems())
		}
	}
	s := NewSupervisor(cs, log)
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("supervisor log:\n%s", lb.String())
		}
	})
	return s, lb
}

// run runs one probe with timeout.
func run(t testing.TB, s *Supervisor, target string, pc *ProbeConfig, timeout time.Duration) probes.Result {
	t.Helper()
	p, err := s.Prober("test", target, pc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Probe(ctx, slog.New(slog.DiscardHandler))
}

// eventually runs the probe until it succeeds or 10s pass.
func eventually(t testing.TB, s *Supervisor, target string, pc *ProbeConfig) probes.Result {
	t.Helper()
	var r probes.Result
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if r = run(t, s, target, pc, 5*time.Second); r.Success {
			return r
		}
	}
	t.Fatalf("probe never succeeded; last result %+v", r)
	return r
}

// gather returns every series of reg as name{labels} -> value (histograms
// as _count and _sum).
func gather(t testing.TB, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := "{" + strings.Join(ls, ",") + "}"
			switch {
			case m.Gauge != nil:
				out[mf.GetName()+key] = m.GetGauge().GetValue()
			case m.Counter != nil:
				out[mf.GetName()+key] = m.GetCounter().GetValue()
			case m.Histogram != nil:
				out[mf.GetName()+"_count"+key] = float64(m.GetHistogram().GetSampleCount())
				out[mf.GetName()+"_sum"+key] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

// waitRunning waits for every plugin of s to have started, so that tests
// with short probe timeouts do not count the start against them.
func waitRunning(t testing.TB, s *Supervisor) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		running := true
		for _, st := range s.Status() {
			running = running && st.State == StateRunning
		}
		if running {
			return
		}
	}
	t.Fatalf("plugins did not start: %+v", s.Status())
}
