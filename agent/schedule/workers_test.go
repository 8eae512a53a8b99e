package schedule

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// burst runs n functions at once on w, each blocking until all have
// started, and returns when all are done.
func burst(w *workers, n int) {
	var started, done sync.WaitGroup
	block := make(chan struct{})
	started.Add(n)
	done.Add(n)
	for range n {
		w.Go(func() {
			started.Done()
			<-block
			done.Done()
		})
	}
	started.Wait()
	close(block)
	done.Wait()
}

func TestWorkersRunEverythingWithoutWaiting(t *testing.T) {
	w := newWorkers(time.Minute)
	// Busy workers must not hold up new work.
	const n = 50
	burst(w, n)

	// Now idle, the workers take new work rather than new goroutines.
	before := runtime.NumGoroutine()
	var done sync.WaitGroup
	done.Add(n)
	for range n {
		w.Go(done.Done)
		time.Sleep(time.Millisecond) // let the worker get back to waiting
	}
	done.Wait()
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines grew from %d to %d: idle workers were not reused", before, after)
	}
}

func TestIdleWorkersExit(t *testing.T) {
	before := runtime.NumGoroutine()
	w := newWorkers(20 * time.Millisecond)
	var done sync.WaitGroup
	done.Add(10)
	for range 10 {
		w.Go(done.Done)
	}
	done.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left after the idle time, want %d", n, before)
	}
}

// After a burst, steady work one function at a time must keep one worker,
// not every goroutine the burst started.
func TestWorkersShrinkAfterBurst(t *testing.T) {
	w := newWorkers(50 * time.Millisecond)
	const n = 20
	burst(w, n)
	idle := func() int {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.ready)
	}
	for idle() < n {
		time.Sleep(time.Millisecond) // the workers are getting back to waiting
	}

	// One function every millisecond: each worker would get one well
	// within the idle time if they took turns.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ran := make(chan struct{})
		w.Go(func() { close(ran) })
		<-ran
		time.Sleep(time.Millisecond)
		if idle() <= 1 {
			return
		}
	}
	t.Errorf("%d idle workers after steady work, want at most 1", idle())
}
