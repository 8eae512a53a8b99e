// Package browser runs scripted user journeys in headless Chromium: one
// long-lived browser for the agent, a fresh browser context per run, Web
// Vitals and navigation timing, console errors and failed requests, and a
// screenshot with the console and network log when a run fails.
package browser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// healthTimeout bounds the check that the browser still answers before a
// run; a browser that does not answer a version query in that time is hung.
const healthTimeout = 3 * time.Second

// retryStartAfter spaces out start attempts after a failed one, so a
// missing or broken Chromium is not spawned again at every run.
const retryStartAfter = 5 * time.Second

// ErrClosed is returned for runs after Close.
var ErrClosed = errors.New("the browser was shut down")

// Browser is the one Chromium of the agent, shared by every browser probe.
// It starts lazily at the first run (or at Start), and restarts when the
// process crashes or hangs, after Options.RestartAfterRuns runs, or above
// Options.MemoryLimit.
type Browser struct {
	opts    Options
	diagDir string
	log     *slog.Logger
	slots   chan struct{} // one per concurrent run

	mu       sync.Mutex
	cur      *instance
	active   int // runs holding cur
	closed   bool
	lastFail time.Time
	lastErr  error
	stats    Stats
	diagSeq  uint64
	cleanup  sync.WaitGroup // runs until their tab is closed, browsers being stopped
	diagMu   sync.Mutex     // serializes writing and pruning diagnostics
	stale    sync.Once      // removes profiles of killed agents at the first start
	logged   string         // the start error last logged, so a missing browser is logged once
}

// Stats are counters for the agent's sloagent_browser_* metrics.
type Stats struct {
	// Runs is the number of runs that got a browser.
	Runs uint64
	// Starts counts browser processes started successfully.
	Starts uint64
	// StartFailures counts starts that failed.
	StartFailures uint64
	// Restarts counts replaced browsers by reason: "crash", "unresponsive",
	// "runs" or "memory".
	Restarts map[string]uint64
	// Up is true while a started browser is connected.
	Up bool
	// MemoryBytes is the browser's memory use when last measured (between
	// runs, on Linux; 0 elsewhere).
	MemoryBytes int64
	// QueueTimeouts counts runs that found no free slot in time: skipped
	// runs when the agent admitted them, failed ones otherwise.
	QueueTimeouts uint64
	// Version is the running Chromium's product string, such as
	// "HeadlessChrome/156.0.0.0"; empty while none runs.
	Version string
}

// Restart reasons in Stats.Restarts.
const (
	RestartCrash        = "crash"
	RestartUnresponsive = "unresponsive"
	RestartRuns         = "runs"
	RestartMemory       = "memory"
)

// NewBrowser returns the agent's browser. Nothing starts until the first run or
// Start. diagDir receives the files of failed runs; empty disables them.
func NewBrowser(opts Options, diagDir string, log *slog.Logger) *Browser {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Browser{
		opts:    opts,
		diagDir: diagDir,
		log:     log,
		slots:   make(chan struct{}, opts.maxConcurrent()),
		stats:   Stats{Restarts: map[string]uint64{}},
	}
}

// Start returns the agent's browser, started: an error says why Chromium is
// missing or did not start. The Browser is usable either way; its runs fail
// with browser_unavailable until a start succeeds, which each run retries.
func Start(ctx context.Context, opts Options, diagDir string, log *slog.Logger) (*Browser, error) {
	b := NewBrowser(opts, diagDir, log)
	in, err := b.get(ctx, false)
	if err == nil {
		b.put(in)
	}
	return b, err
}

// Check starts Chromium with opts, asks its version and stops it: what
// check-config and the agent's start use to report a missing or broken
// browser clearly.
func Check(opts Options) error {
	in := launch(&opts, slog.New(slog.DiscardHandler))
	<-in.ready
	defer in.stop()
	if in.err != nil {
		return in.err
	}
	if err := in.healthy(healthTimeout); err != nil {
		return fmt.Errorf("the browser started but does not answer: %w", err)
	}
	return nil
}

// Stats returns a copy of the counters.
func (b *Browser) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Restarts = make(map[string]uint64, len(b.stats.Restarts))
	for k, v := range b.stats.Restarts {
		s.Restarts[k] = v
	}
	s.Up = b.cur != nil && isReady(b.cur) && b.cur.alive()
	if s.Up {
		s.Version = b.cur.version
	}
	return s
}

// PID returns the main Chromium process id, 0 when none runs.
func (b *Browser) PID() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur == nil || !isReady(b.cur) || b.cur.err != nil {
		return 0
	}
	return b.cur.pid
}

// ProfileDir returns the current browser's profile directory, which every
// Chromium process of it names on its command line.
func (b *Browser) ProfileDir() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur == nil || !isReady(b.cur) {
		return ""
	}
	return b.cur.dir
}

// Close stops the browser and every process it started, and removes its
// profile. Runs in flight fail; later runs fail with ErrClosed.
func (b *Browser) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	in := b.cur
	b.cur = nil
	b.mu.Unlock()
	if in != nil {
		<-in.ready
		in.stop()
	}
	b.cleanup.Wait()
	return nil
}

func isReady(in *instance) bool {
	select {
	case <-in.ready:
		return true
	default:
		return false
	}
}

// acquire gets a working browser for a run that holds a slot. The caller
// must call release with what it got.
func (b *Browser) acquire(ctx context.Context) (*instance, error) {
	return b.get(ctx, true)
}

// release ends a run's use of in once its tab is closed.
func (b *Browser) release(in *instance) {
	b.put(in)
	b.cleanup.Done()
}

// get returns a started, answering browser, replacing the current one first
// when it is dead, hung, or due for a restart.
func (b *Browser) get(ctx context.Context, run bool) (*instance, error) {
	for attempt := 0; ; attempt++ {
		in, err := b.current()
		if err != nil {
			return nil, err
		}
		select {
		case <-in.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the browser to start: %w", ctx.Err())
		}
		if in.err != nil {
			b.startFailed(in)
			return nil, in.err
		}
		b.mu.Lock()
		if b.cur != in { // replaced or closed while we waited
			b.mu.Unlock()
			if attempt < 3 {
				continue
			}
			return nil, errors.New("the browser was replaced while starting")
		}
		if !in.counted {
			in.counted = true
			b.stats.Starts++
			b.lastErr = nil
			b.logged = ""
		}
		// Between runs, make sure the browser still answers; while
		// other runs use it, they would notice a hang themselves.
		check := b.active == 0
		b.active++
		if run {
			in.runs++
		}
		b.mu.Unlock()
		if check {
			if err := in.healthy(healthTimeout); err != nil {
				reason := RestartUnresponsive
				if !in.alive() {
					reason = RestartCrash
				}
				b.log.Warn("browser does not answer; restarting it", "reason", reason, "err", err)
				b.put(in)
				b.replace(in, reason)
				if attempt < 3 {
					continue
				}
				return nil, fmt.Errorf("the browser does not answer: %w", err)
			}
		}
		if run {
			b.mu.Lock()
			if b.closed {
				b.mu.Unlock()
				b.put(in)
				return nil, ErrClosed
			}
			b.stats.Runs++
			// Added under mu while not closed, so Close's Wait sees it.
			b.cleanup.Add(1)
			b.mu.Unlock()
		}
		return in, nil
	}
}

// current returns the browser instance to use, launching one if needed.
func (b *Browser) current() (*instance, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	in := b.cur
	if in != nil && isReady(in) && in.err == nil {
		if reason := b.restartReason(in); reason != "" {
			b.log.Info("restarting the browser", "reason", reason, "runs", in.runs)
			b.stats.Restarts[reason]++
			b.cur = nil
			b.active = 0
			b.cleanup.Add(1)
			go func(old *instance) {
				defer b.cleanup.Done()
				old.stop()
			}(in)
			in = nil
		}
	}
	if in == nil {
		if b.lastErr != nil && time.Since(b.lastFail) < retryStartAfter {
			return nil, b.lastErr
		}
		b.stale.Do(func() {
			// Not under mu: it reads the temporary directory and /proc.
			b.cleanup.Add(1)
			go func() {
				defer b.cleanup.Done()
				removeStaleProfiles(b.log, os.TempDir())
			}()
		})
		opts := b.opts // the start reads its own copy, not fields tests and reloads may change
		in = launch(&opts, b.log)
		b.cur = in
	}
	return in, nil
}

// restartReason says why in must be replaced before the next run, or "".
// A crash replaces it at once; planned restarts wait until no run uses it.
// Called with b.mu held.
func (b *Browser) restartReason(in *instance) string {
	if !in.alive() {
		return RestartCrash
	}
	if b.active > 0 {
		return ""
	}
	if n := b.opts.restartAfter(); n > 0 && in.runs >= n {
		return RestartRuns
	}
	if limit := b.opts.memoryLimit(); limit > 0 && memorySupported {
		m := in.memory()
		b.stats.MemoryBytes = m
		if m > int64(limit) {
			return RestartMemory
		}
	}
	return ""
}

func (b *Browser) startFailed(in *instance) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur == in {
		b.cur = nil
		b.stats.StartFailures++
		b.lastErr = in.err
		b.lastFail = time.Now()
		// A browser that is missing fails the same way at every retry:
		// said once, then counted in sloagent_browser_start_failures_total.
		if msg := in.err.Error(); msg != b.logged {
			b.logged = msg
			b.log.Error("browser failed to start; browser runs fail with browser_unavailable until it starts (retried at most every 5s, counted in sloagent_browser_start_failures_total)",
				"err", in.err)
		} else {
			b.log.Debug("browser failed to start again", "err", in.err, "failures", b.stats.StartFailures)
		}
	}
}

// put ends a run's use of in.
func (b *Browser) put(in *instance) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur == in {
		b.active--
	}
}

// replace drops in (if still current) so the next get launches another.
func (b *Browser) replace(in *instance, reason string) {
	b.mu.Lock()
	if b.cur == in {
		b.cur = nil
		b.active = 0
		b.stats.Restarts[reason]++
	}
	b.mu.Unlock()
	in.stop()
}
