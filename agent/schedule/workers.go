package schedule

import (
	"slices"
	"sync"
	"time"
)

// workers runs functions on goroutines that are kept for a while after
// their function returns. A probe run goes deep into net/http and grows its
// goroutine's stack to several kilobytes; a new goroutine for every run
// starts small and grows, copying its stack, every time, which showed in
// the CPU profile at about 8% of the agent's time at 1,000 probes/s. A kept
// goroutine keeps its grown stack for the next run.
//
// The most recently idle worker takes the next function, so the workers
// kept are as many as runs overlap, and the rest go idle and exit. Handing
// work round the idle workers in turn (as one shared channel does) would keep
// every goroutine a burst ever started busy enough never to exit: at 4,000
// probes/s a start-up burst left 1,500 of them, whose stacks every garbage
// collection scanned.
type workers struct {
	idle time.Duration

	mu    sync.Mutex
	ready []*worker // idle, the most recently idle last
}

type worker struct {
	tasks chan func() // the next function, from Go
}

// workerIdle is how long a worker waits for more work before it exits, so
// that a burst of runs does not leave its goroutines behind.
const workerIdle = 10 * time.Second

func newWorkers(idle time.Duration) *workers {
	return &workers{idle: idle}
}

// Go runs f on an idle worker, or on a new one if none is idle: it never
// waits.
func (w *workers) Go(f func()) {
	w.mu.Lock()
	if n := len(w.ready); n > 0 {
		wk := w.ready[n-1]
		w.ready[n-1] = nil
		w.ready = w.ready[:n-1]
		w.mu.Unlock()
		wk.tasks <- f // buffered: the worker may not be waiting yet
		return
	}
	w.mu.Unlock()
	go w.work(&worker{tasks: make(chan func(), 1)}, f)
}

func (w *workers) work(wk *worker, f func()) {
	t := time.NewTimer(w.idle)
	defer t.Stop()
	for {
		f()
		w.mu.Lock()
		w.ready = append(w.ready, wk)
		w.mu.Unlock()
		t.Reset(w.idle)
		select {
		case f = <-wk.tasks:
		case <-t.C:
			if w.retire(wk) {
				return
			}
			// Taken just as it timed out: its function is on the way.
			f = <-wk.tasks
		}
	}
}

// retire removes an idle worker from the ready list, reporting false if Go
// has taken it meanwhile.
func (w *workers) retire(wk *worker) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := slices.Index(w.ready, wk) // the longest idle are first: a short search
	if i < 0 {
		return false
	}
	w.ready = slices.Delete(w.ready, i, i+1)
	return true
}
