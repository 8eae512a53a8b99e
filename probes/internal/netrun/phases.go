package netrun

import (
	"sync"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/family"
)

// maxPhases bounds the phases of a kind, so that a timeline is an array in
// the run rather than an allocation of its own.
const maxPhases = 8

// Phases names the phases of a kind's runs: the values of the phase label
// of the kind's duration family, and what a run does in each, for the
// messages of a run cut short in it.
type Phases struct {
	family *probes.Family
	names  []string
	doing  []string
	labels [][]probes.Label
}

// NewPhases describes the phases of f, a family with one label, phase.
func NewPhases(f *probes.Family, names, doing []string) *Phases {
	if len(names) > maxPhases || len(doing) != len(names) {
		panic("netrun: bad phases of " + f.Name)
	}
	p := &Phases{family: f, names: names, doing: doing}
	for _, n := range names {
		p.labels = append(p.labels, family.Labels(f, n))
	}
	return p
}

// Timeline starts the timeline of a run, before its first phase.
func (p *Phases) Timeline() Timeline { return Timeline{p: p, phase: -1} }

// Timeline times the phases of one run, on one goroutine.
type Timeline struct {
	p     *Phases
	phase int // -1 before the first
	start time.Time
	dur   [maxPhases]time.Duration
}

// Enter ends the phase in progress and starts ph; -1 starts none.
func (t *Timeline) Enter(ph int) {
	now := time.Now()
	t.End(now)
	t.phase, t.start = ph, now
}

// End ends the phase in progress at now.
func (t *Timeline) End(now time.Time) {
	if t.phase >= 0 && !t.start.IsZero() {
		t.dur[t.phase] += now.Sub(t.start)
		t.start = time.Time{}
	}
}

// Phase is the phase in progress or last ended, -1 before the first.
func (t *Timeline) Phase() int { return t.phase }

// Dur is how long phase ph took.
func (t *Timeline) Dur(ph int) time.Duration { return t.dur[ph] }

// Where says what the run is doing, for a message: doing, or the phase's
// own words when empty.
func (t *Timeline) Where(doing string) string {
	ph := max(t.phase, 0)
	if doing == "" {
		doing = t.p.doing[ph]
	}
	return " while " + doing + " (" + t.p.names[ph] + " phase)"
}

// AppendSamples appends the duration of every phase.
func (t *Timeline) AppendSamples(s []probes.Sample) []probes.Sample {
	for ph := range t.p.names {
		s = append(s, family.With(t.p.family, t.dur[ph].Seconds(), t.p.labels[ph]))
	}
	return s
}

// LogArgs are the phases' durations for the debug log.
func (t *Timeline) LogArgs() []any {
	args := make([]any, 0, 2*len(t.p.names))
	for ph, n := range t.p.names {
		args = append(args, n, t.dur[ph])
	}
	return args
}

// Shared is a timeline that a library's goroutines report to as well (a
// dialer, a handshake), which may still report after the run gave up:
// once finished, it changes no more.
type Shared struct {
	mu       sync.Mutex
	finished bool
	t        Timeline
}

// NewShared starts a shared timeline of p.
func (p *Phases) NewShared() *Shared { return &Shared{t: p.Timeline()} }

// Enter ends the phase in progress and starts ph, unless finished.
func (s *Shared) Enter(ph int) {
	s.Do(func() { s.t.Enter(ph) })
}

// Do runs f under the timeline's lock unless the run is finished, and
// tells whether it ran.
func (s *Shared) Do(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return false
	}
	f()
	return true
}

// Finish ends the phase in progress and the timeline.
func (s *Shared) Finish() {
	now := time.Now()
	s.mu.Lock()
	s.t.End(now)
	s.finished = true
	s.mu.Unlock()
}

// Finished tells whether Finish was called.
func (s *Shared) Finished() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finished
}

// Timeline is a copy of the timeline as it is now.
func (s *Shared) Timeline() Timeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t
}
