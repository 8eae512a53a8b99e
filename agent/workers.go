package agent

import "time"

// workers runs functions on goroutines that are kept for a while after
// their function returns. A probe run goes deep into net/http and grows its
// goroutine's stack to several kilobytes; a new goroutine for every run
// starts small and grows, copying its stack, every time, which showed in
// the CPU profile at about 8% of the agent's time at 1,000 probes/s. A kept
// goroutine keeps its grown stack for the next run.
type workers struct {
	tasks chan func()
	idle  time.Duration
}

// workerIdle is how long a worker waits for more work before it exits, so
// that a burst of runs does not leave its goroutines behind.
const workerIdle = 10 * time.Second

func newWorkers(idle time.Duration) *workers {
	return &workers{tasks: make(chan func()), idle: idle}
}

// Go runs f on an idle worker, or on a new one if none is idle: it never
// waits.
func (w *workers) Go(f func()) {
	select {
	case w.tasks <- f:
	default:
		go w.work(f)
	}
}

func (w *workers) work(f func()) {
	t := time.NewTimer(w.idle)
	defer t.Stop()
	for {
		f()
		t.Reset(w.idle)
		select {
		case f = <-w.tasks:
		case <-t.C:
			return
		}
	}
}
