package agent

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestWorkersRunEverythingWithoutWaiting(t *testing.T) {
	w := newWorkers(time.Minute)
	block := make(chan struct{})
	var started sync.WaitGroup
	// Busy workers must not hold up new work: each of these blocks until
	// all of them have started.
	const n = 50
	started.Add(n)
	var done sync.WaitGroup
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

	// Now idle, the workers take new work rather than new goroutines.
	before := runtime.NumGoroutine()
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
