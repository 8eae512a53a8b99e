package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/sloagent/sloagent/internal/httpconf"
)

// alertsPath is Alertmanager's v2 endpoint for posting alerts.
const alertsPath = "/api/v2/alerts"

// maxBatch bounds the alerts of one request, as Prometheus' notifier does.
const maxBatch = 256

// target sends queued alerts to one Alertmanager.
type target struct {
	url    string
	client *http.Client
	cfg    *Config
	log    *slog.Logger

	mu    sync.Mutex
	queue []postable
	index map[string]int // queue position by key, so an alert queued twice is sent once, as it is now
	wake  chan struct{}

	sent, failed, dropped, requests, errors atomic.Uint64
	lastErr                                 atomic.Pointer[string]
	lastOK                                  atomic.Int64 // Unix nanoseconds
}

// TargetStats is one Alertmanager's counters.
type TargetStats struct {
	URL string
	// Sent, Failed and Dropped count alerts: delivered, given up after
	// every retry, pushed out of a full queue.
	Sent, Failed, Dropped uint64
	// Requests counts attempts, Errors the failed ones (retries too).
	Requests, Errors uint64
	Queued           int
	LastError        string
	LastSuccess      time.Time
}

func newTarget(t *Target, cfg *Config, log *slog.Logger) (*target, error) {
	h := http.Header{}
	for k, v := range t.Headers {
		h.Set(k, v.Reveal())
	}
	if err := t.auth().SetHeader(h); err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if t.TLS != nil {
		tc, err := promconfig.NewTLSConfig(t.TLS.promTLS())
		if err != nil {
			return nil, fmt.Errorf("tls_config: %w", err)
		}
		tr.TLSClientConfig = tc
	}
	return &target{
		url:    strings.TrimRight(t.URL, "/") + alertsPath,
		client: httpconf.Client(h, cfg.Timeout.D(), tr),
		cfg:    cfg, log: log.With("alertmanager", t.URL),
		index: map[string]int{}, wake: make(chan struct{}, 1),
	}, nil
}

// enqueue adds alerts to the queue, replacing the queued version of an
// alert, and drops the oldest beyond the capacity.
func (t *target) enqueue(ps []postable) {
	t.mu.Lock()
	for _, p := range ps {
		k := key(p.Labels)
		if i, ok := t.index[k]; ok {
			t.queue[i] = p
			continue
		}
		t.index[k] = len(t.queue)
		t.queue = append(t.queue, p)
	}
	if over := len(t.queue) - t.cfg.QueueCapacity; over > 0 {
		t.dropped.Add(uint64(over))
		t.queue = append(t.queue[:0:0], t.queue[over:]...)
		t.reindex()
		t.log.Warn("alert queue full; dropped the oldest alerts", "dropped", over)
	}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *target) reindex() {
	clear(t.index)
	for i, p := range t.queue {
		t.index[key(p.Labels)] = i
	}
}

// take removes up to maxBatch alerts from the queue's head.
func (t *target) take() []postable {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := min(len(t.queue), maxBatch)
	if n == 0 {
		return nil
	}
	batch := append([]postable(nil), t.queue[:n]...)
	t.queue = append(t.queue[:0], t.queue[n:]...)
	t.reindex()
	return batch
}

func (t *target) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		}
		for batch := t.take(); len(batch) > 0 && ctx.Err() == nil; batch = t.take() {
			t.send(ctx, batch)
		}
	}
}

// send posts a batch, retrying network errors, 5xx and 429 with backoff.
// A batch that fails every attempt is dropped: firing alerts are sent
// again at the next resend interval anyway.
func (t *target) send(ctx context.Context, batch []postable) {
	body, err := json.Marshal(batch)
	if err != nil {
		t.fail(len(batch), err)
		return
	}
	delay := t.cfg.MinBackoff.D()
	for attempt := 1; ; attempt++ {
		retry, err := t.post(ctx, body)
		if err == nil {
			t.sent.Add(uint64(len(batch)))
			t.lastOK.Store(time.Now().UnixNano())
			return
		}
		t.errors.Add(1)
		if !retry || attempt > *t.cfg.MaxRetries || ctx.Err() != nil {
			t.fail(len(batch), fmt.Errorf("after %d attempt(s): %w", attempt, err))
			return
		}
		t.log.Warn("sending alerts failed; retrying", "attempt", attempt, "err", err, "backoff", delay)
		select {
		case <-ctx.Done():
			t.fail(len(batch), ctx.Err())
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, t.cfg.MaxBackoff.D())
	}
}

func (t *target) fail(n int, err error) {
	t.failed.Add(uint64(n))
	msg := err.Error()
	t.lastErr.Store(&msg)
	t.log.Error("sending alerts failed; they go again at the next resend", "alerts", n, "err", err)
}

// post sends one request and reports whether a failure is worth
// retrying.
func (t *target) post(ctx context.Context, body []byte) (retry bool, err error) {
	t.requests.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sloagent")
	return httpconf.Send(t.client, req, "Alertmanager")
}

func (t *target) stats() TargetStats {
	t.mu.Lock()
	queued := len(t.queue)
	t.mu.Unlock()
	s := TargetStats{URL: strings.TrimSuffix(t.url, alertsPath), Sent: t.sent.Load(), Failed: t.failed.Load(),
		Dropped: t.dropped.Load(), Requests: t.requests.Load(), Errors: t.errors.Load(), Queued: queued}
	if e := t.lastErr.Load(); e != nil {
		s.LastError = *e
	}
	if ns := t.lastOK.Load(); ns != 0 {
		s.LastSuccess = time.Unix(0, ns)
	}
	return s
}
