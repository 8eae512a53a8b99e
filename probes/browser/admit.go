package browser

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sloagent/sloagent/probes"
)

// errNoSlot is a run that found no free browser slot in time. It wraps
// probes.ErrNoSlot, which tells the agent to skip the run rather than fail it.
var errNoSlot = fmt.Errorf("no free browser slot: %w", probes.ErrNoSlot)

// ticket is one held run slot of the browser. Admit takes it before the run's
// deadline starts and Probe uses it; the slot is freed when both the admitter
// released it and the run that used it (if any) has closed its tab.
type ticket struct {
	b        *Browser
	mu       sync.Mutex
	taken    bool // a run uses the slot
	runEnded bool // that run closed its tab
	released bool // the admitter is done with it
	freed    bool
}

// Admit waits for a free run slot of the browser, for at most
// Options.MaxQueueWait or until ctx ends, and then for the browser to be
// started, so that neither wait is charged to the run's timeout. It
// returns an error wrapping probes.ErrNoSlot when no slot freed in time,
// or ctx's error when ctx was cancelled. The next Probe of p uses the slot;
// release must be called once the run is over (or will not happen).
func (p *prober) Admit(ctx context.Context) (func(), error) {
	t, err := p.b.admit(ctx, p.b.opts.maxQueueWait())
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.tickets = append(p.tickets, t)
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		for i, q := range p.tickets {
			if q == t { // admitted but never run
				p.tickets = append(p.tickets[:i], p.tickets[i+1:]...)
				break
			}
		}
		p.mu.Unlock()
		t.release()
	}, nil
}

// takeTicket returns the slot an earlier Admit of p holds for this run, or
// nil when the caller did not admit the run.
func (p *prober) takeTicket() *ticket {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.tickets) == 0 {
		return nil
	}
	t := p.tickets[0]
	p.tickets = p.tickets[1:]
	t.mu.Lock()
	t.taken = true
	t.mu.Unlock()
	return t
}

// admit takes a run slot, waiting at most maxWait (no bound when 0), and
// gets the browser started while the run has not begun.
func (b *Browser) admit(ctx context.Context, maxWait time.Duration) (*ticket, error) {
	t, err := b.takeSlot(ctx, maxWait)
	if err != nil {
		return nil, err
	}
	b.warm(ctx)
	return t, nil
}

// takeSlot waits for a run slot and counts a wait that ended without one.
// How long runs wait is the agent's to measure: the runner observes the
// whole of Admit.
func (b *Browser) takeSlot(ctx context.Context, maxWait time.Duration) (*ticket, error) {
	start := time.Now()
	var expired <-chan time.Time
	if maxWait > 0 {
		timer := time.NewTimer(maxWait)
		defer timer.Stop()
		expired = timer.C
	}
	select {
	case b.slots <- struct{}{}:
		return &ticket{b: b}, nil
	case <-expired:
		b.queueTimedOut()
		return nil, fmt.Errorf("%w: %d runs (max_concurrent_runs) held the browser for %s (max_queue_wait)",
			errNoSlot, cap(b.slots), maxWait)
	case <-ctx.Done():
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ctx.Err()
		}
		b.queueTimedOut()
		return nil, fmt.Errorf("%w: %d runs (max_concurrent_runs) held the browser for %s",
			errNoSlot, cap(b.slots), time.Since(start).Round(time.Millisecond))
	}
}

func (b *Browser) queueTimedOut() {
	b.mu.Lock()
	b.stats.QueueTimeouts++
	b.mu.Unlock()
}

// warm makes sure a started browser waits for the admitted run, so that a
// start or a planned restart is not charged to it either. A browser that
// fails to start is left to the run, which reports it.
func (b *Browser) warm(ctx context.Context) {
	in, err := b.current()
	if err != nil {
		return
	}
	select {
	case <-in.ready:
		if in.err != nil {
			b.startFailed(in)
		}
	case <-ctx.Done():
	}
}

func (t *ticket) release() {
	t.mu.Lock()
	t.released = true
	free := !t.taken || t.runEnded
	t.mu.Unlock()
	if free {
		t.free()
	}
}

// ended is called when the run that used t has closed its tab.
func (t *ticket) ended() {
	t.mu.Lock()
	t.runEnded = true
	free := t.released
	t.mu.Unlock()
	if free {
		t.free()
	}
}

func (t *ticket) free() {
	t.mu.Lock()
	done := t.freed
	t.freed = true
	t.mu.Unlock()
	if !done {
		<-t.b.slots
	}
}
