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

// Phase is one phase of a kind's runs: the value of the phase label of the
// kind's duration family, and what a run does in it, for the message of a
// run cut short there.
type Phase struct{ Name, Doing string }

// The phases every kind that has phases starts with, in this order, and
// the one of kinds that speak TLS: a kind's own constants start with
// PhaseResolve and PhaseConnect.
var (
	Resolve = Phase{Name: "resolve", Doing: "resolving the name"}
	Connect = Phase{Name: "connect", Doing: "connecting"}
	TLS     = Phase{Name: "tls", Doing: "in the TLS handshake"}
)

// The indexes of Resolve and Connect.
const (
	PhaseResolve = 0
	PhaseConnect = 1
)

// Phases are the phases of a kind's runs, in the order of the kind's
// phase constants.
type Phases struct {
	family *probes.Family
	list   []Phase
	labels [][]probes.Label
}

// NewPhases describes the phases of f, a family with one label, phase.
func NewPhases(f *probes.Family, list []Phase) *Phases {
	if len(list) > maxPhases {
		panic("netrun: too many phases of " + f.Name)
	}
	p := &Phases{family: f, list: list}
	for _, ph := range list {
		p.labels = append(p.labels, family.Labels(f, ph.Name))
	}
	return p
}

// Len is the number of phases.
func (p *Phases) Len() int {
	if p == nil {
		return 0
	}
	return len(p.list)
}

// Timeline times the phases of one run. A library's goroutines may report
// to it too (a dialer, a handshake), and may still report after the run
// gave up: once finished, it changes no more.
type Timeline struct {
	mu       sync.Mutex
	p        *Phases
	finished bool
	phase    int // -1 before the first
	at       time.Time
	dur      [maxPhases]time.Duration
}

func (t *Timeline) start(p *Phases) { t.p, t.phase = p, -1 }

// Enter ends the phase in progress and starts ph (-1: none), unless the
// run is finished.
func (t *Timeline) Enter(ph int) {
	now := time.Now()
	t.Report(func() {
		t.end(now)
		t.phase, t.at = ph, now
	})
}

func (t *Timeline) end(now time.Time) {
	if t.phase >= 0 && !t.at.IsZero() {
		t.dur[t.phase] += now.Sub(t.at)
		t.at = time.Time{}
	}
}

// Report runs f under the timeline's lock unless the run is finished, and
// tells whether it ran: what other goroutines report goes through it.
func (t *Timeline) Report(f func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished {
		return false
	}
	f()
	return true
}

func (t *Timeline) finish() {
	now := time.Now()
	t.mu.Lock()
	t.end(now)
	t.finished = true
	t.mu.Unlock()
}

// Finished tells whether the run is over.
func (t *Timeline) Finished() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.finished
}

// Phase is the phase in progress or last ended, -1 before the first.
func (t *Timeline) Phase() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.phase
}

// Where says what the run is doing, for a message: doing, or the words of
// the phase in progress when empty.
func (t *Timeline) Where(doing string) string {
	ph := max(t.Phase(), 0)
	if doing == "" {
		doing = t.p.list[ph].Doing
	}
	return " while " + doing + " (" + t.p.list[ph].Name + " phase)"
}

// AppendPhases appends the duration of every phase; the run is finished.
func (t *Timeline) AppendPhases(s []probes.Sample) []probes.Sample {
	for ph := range t.p.Len() {
		s = append(s, family.With(t.p.family, t.dur[ph].Seconds(), t.p.labels[ph]))
	}
	return s
}

func (t *Timeline) logArgs() []any {
	args := make([]any, 0, 2*t.p.Len())
	for ph := range t.p.Len() {
		args = append(args, t.p.list[ph].Name, t.dur[ph])
	}
	return args
}
