package agent

import (
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/internal/expo"
	"github.com/sloagent/sloagent/internal/times"
	"github.com/sloagent/sloagent/probes"
)

// probeState is what the agent keeps about one probe across runs and config
// reloads (it is keyed by probe name): the last result for metrics and the
// status page, and the counters, which must never reset while the agent runs.
type probeState struct {
	name    string
	running atomic.Bool
	manual  atomic.Bool // a run started from the web is in flight

	mu         sync.Mutex
	cfg        *config.ProbeConfig
	last       probes.Result // Samples are kept in samples
	samples    expo.Samples
	lastStart  int64 // Unix nanoseconds: 8 bytes where a time.Time takes 24
	hasRun     bool
	runs       uint64
	failures   []expo.ReasonCount // by reason, sorted; few reasons a probe
	skipped    uint64
	lastChange int64 // when success last flipped, as lastStart; 0: never
	duration   durationHistogram
	history    runHistory // for the status page
}

func newProbeState(name string) *probeState {
	s := &probeState{name: name}
	s.duration.init(time.Now())
	return s
}

// durationBuckets cover a fast API call to a slow browser journey.
var (
	durationBounds  = [...]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	durationBuckets = durationBounds[:]
)

const numDurationBuckets = len(durationBounds)

// record stores a finished run and reports whether its success differs from
// the previous run's (false for the first run). Its samples are kept under
// layouts shared with other probes.
func (s *probeState) record(res probes.Result, start time.Time, layouts *expo.Layouts, slow bool) (changed, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first = !s.hasRun
	changed = s.hasRun && s.last.Success != res.Success
	if changed || first {
		s.lastChange = start.UnixNano()
	}
	s.samples = layouts.Compact(s.samples, res.Samples)
	res.Samples = nil
	s.last, s.lastStart, s.hasRun = res, start.UnixNano(), true
	s.runs++
	s.duration.observe(res.Duration.Seconds())
	if !res.Success {
		s.countFailure(res.Reason)
	}
	s.history.add(start, res.Success, slow, res.Reason)
	return changed, first
}

// countFailure counts a failed run under its reason. A slice, kept
// sorted, where a map took some 50 bytes a probe before any failure and
// 200 after the first.
func (s *probeState) countFailure(reason string) {
	i := sort.Search(len(s.failures), func(i int) bool { return s.failures[i].Reason >= reason })
	if i < len(s.failures) && s.failures[i].Reason == reason {
		s.failures[i].N++
		return
	}
	s.failures = slices.Insert(s.failures, i, expo.ReasonCount{Reason: reason, N: 1})
}

// lastReason is the reason the last run failed for; "" when it passed or
// none ran.
func (s *probeState) lastReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasRun || s.last.Success {
		return ""
	}
	return s.last.Reason
}

func (s *probeState) skip() {
	s.mu.Lock()
	s.skipped++
	s.mu.Unlock()
}

// snapshot is a consistent copy for rendering.
type snapshot struct {
	Name       string
	Config     *config.ProbeConfig
	Last       probes.Result // with its Samples only when it failed
	LastStart  time.Time
	HasRun     bool
	Running    bool
	Runs       uint64
	Failures   map[string]uint64
	Skipped    uint64
	LastChange time.Time
	// Strip is the latest runs, oldest first; HourRatio and DayRatio the
	// share of passing runs over the last hour and day (NaN without
	// runs), of HourRuns and DayRuns runs.
	Strip               []stripRun
	HourRatio, DayRatio float64
	HourRuns, DayRuns   uint32
}

func (s *probeState) snapshot(now time.Time) snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := make(map[string]uint64, len(s.failures))
	for _, c := range s.failures {
		f[c.Reason] = c.N
	}
	snap := snapshot{
		Name: s.name, Config: s.cfg, Last: s.last, LastStart: times.FromUnixNano(s.lastStart), HasRun: s.hasRun,
		Running: s.running.Load(), Runs: s.runs, Failures: f, Skipped: s.skipped, LastChange: times.FromUnixNano(s.lastChange),
		Strip: s.history.runs(),
	}
	snap.HourRatio, snap.DayRatio, snap.HourRuns, snap.DayRuns = s.history.ratios(now)
	if s.hasRun && !s.last.Success {
		// What a kind says of a failure (a journey's failing step) is
		// in its samples.
		snap.Last.Samples = make([]probes.Sample, s.samples.Len())
		for i := range snap.Last.Samples {
			snap.Last.Samples[i] = s.samples.At(i)
		}
	}
	return snap
}
