package push

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/exp/api/remote"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/httpconf"
)

// Pusher sends gathered metrics to the configured remote write endpoint
// and Pushgateway, retrying with exponential backoff.
type Pusher struct {
	cfg   Config
	agent string
	log   *slog.Logger

	rw       *remote.API
	rwURL    string
	rwClient *http.Client
	pg       *http.Client
	pgURL    string // the group's URL: .../metrics/job/<job>/instance/<agent>
}

// Batch is one push: the families, when they were taken, and for a
// one-shot run the counter series that start with it.
type Batch struct {
	Families []*dto.MetricFamily
	At       time.Time
	// Fresh holds the keys of counter series that start at zero in
	// this batch. Remote write sends them a zero sample at start before
	// their value: a counter's first sample is otherwise only a baseline
	// to increase(), and a one-shot run's events would never count.
	Fresh map[string]bool
	Start time.Time
}

func New(cfg Config, agent string, log *slog.Logger) (*Pusher, error) {
	p := &Pusher{cfg: cfg, agent: agent, log: log}
	if e := cfg.RemoteWrite; e != nil {
		client, err := endpointClient(e, cfg.Timeout.D())
		if err != nil {
			return nil, fmt.Errorf("push.remote_write: %w", err)
		}
		retries := *cfg.MaxRetries
		if retries == 0 {
			retries = -1 // the exp client's 0 means retry forever
		}
		api, err := remote.NewAPI(e.URL,
			remote.WithAPIHTTPClient(client),
			remote.WithAPIPath(""),
			remote.WithAPIBackoff(remote.BackoffConfig{
				Min: cfg.MinBackoff.D(), Max: cfg.MaxBackoff.D(), MaxRetries: retries,
			}))
		if err != nil {
			return nil, fmt.Errorf("push.remote_write: %w", err)
		}
		p.rw, p.rwURL, p.rwClient = api, e.URL, client
	}
	if e := cfg.Pushgateway; e != nil {
		client, err := endpointClient(&e.Endpoint, cfg.Timeout.D())
		if err != nil {
			return nil, fmt.Errorf("push.pushgateway: %w", err)
		}
		p.pg = client
		p.pgURL = strings.TrimRight(e.URL, "/") + "/metrics/" + groupKey("job", cfg.Job) + "/" + groupKey("instance", agent)
	}
	return p, nil
}

// groupKey is one label of a Pushgateway grouping key as a URL path: a
// value with a slash (or an empty one) travels base64-encoded.
func groupKey(name, value string) string {
	switch {
	case value == "":
		return name + "@base64/="
	case strings.Contains(value, "/"):
		return name + "@base64/" + base64.RawURLEncoding.EncodeToString([]byte(value))
	}
	return name + "/" + url.PathEscape(value)
}

// Push sends b to every target; the error names each target that failed.
func (p *Pusher) Push(ctx context.Context, b Batch) error {
	var errs []error
	for _, t := range p.Targets() {
		errs = append(errs, p.PushTo(ctx, t, b))
	}
	return errors.Join(errs...)
}

// PushTo sends b to one target: remote_write or pushgateway.
func (p *Pusher) PushTo(ctx context.Context, target string, b Batch) error {
	if target == "remote_write" {
		return p.remoteWrite(ctx, b)
	}
	return p.pushgateway(ctx, b)
}

// Close lets go of the connections kept for the next push.
func (p *Pusher) Close() {
	for _, c := range []*http.Client{p.rwClient, p.pg} {
		if c != nil {
			c.CloseIdleConnections()
		}
	}
}

func (p *Pusher) Targets() []string {
	var t []string
	if p.rw != nil {
		t = append(t, "remote_write")
	}
	if p.pg != nil {
		t = append(t, "pushgateway")
	}
	return t
}

func (p *Pusher) remoteWrite(ctx context.Context, b Batch) error {
	extra := []labelPair{{"job", p.cfg.Job}, {"instance", p.agent}}
	series := seriesOf(b.Families, extra, b.At.UnixMilli())
	zero := min(b.Start.UnixMilli(), b.At.UnixMilli()-1)
	for i := range series {
		if s := &series[i]; s.counter && b.Fresh[s.key] {
			s.samples = append([]rwSample{{0, zero}}, s.samples...)
		}
	}
	attempts := 1
	_, err := p.rw.Write(ctx, remote.WriteV1MessageType, &writeRequest{series: series},
		remote.WithWriteRetryCallback(func(err error) {
			p.log.Warn("push failed; retrying", "target", "remote_write", "url", p.rwURL, "attempt", attempts, "err", err)
			attempts++
		}))
	if err != nil {
		return fmt.Errorf("remote write to %s failed after %d attempt(s): %w", p.rwURL, attempts, err)
	}
	return nil
}

func (p *Pusher) pushgateway(ctx context.Context, b Batch) error {
	var body bytes.Buffer
	enc := expfmt.NewEncoder(&body, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range b.Families {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("pushgateway: encoding %s: %w", mf.GetName(), err)
		}
	}
	backoff := conf.Backoff{First: p.cfg.MinBackoff.D(), Max: p.cfg.MaxBackoff.D()}
	for attempt := 1; ; attempt++ {
		delay := backoff.Delay(attempt)
		retry, err := p.putGroup(ctx, body.Bytes())
		if err == nil {
			return nil
		}
		if !retry || attempt > *p.cfg.MaxRetries || ctx.Err() != nil {
			return fmt.Errorf("push to Pushgateway %s failed after %d attempt(s): %w", p.pgURL, attempt, err)
		}
		p.log.Warn("push failed; retrying", "target", "pushgateway", "url", p.pgURL, "attempt", attempt, "err", err, "backoff", delay)
		select {
		case <-ctx.Done():
			return fmt.Errorf("push to Pushgateway %s failed after %d attempt(s): %w", p.pgURL, attempt, err)
		case <-time.After(delay):
		}
	}
}

// putGroup replaces this agent's group on the Pushgateway. It reports
// whether a failure is worth retrying: network errors and 5xx are, a
// refused push is not.
func (p *Pusher) putGroup(ctx context.Context, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.pgURL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	return httpconf.Send(p.pg, req, "server")
}

// endpointClient is an HTTP client that authenticates as e says.
func endpointClient(e *Endpoint, timeout time.Duration) (*http.Client, error) {
	h := http.Header{}
	for k, v := range e.Headers {
		h.Set(k, v)
	}
	if err := e.auth().SetHeader(h); err != nil {
		return nil, err
	}
	return httpconf.Client(h, timeout, nil), nil
}
