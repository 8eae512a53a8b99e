// Package push sends the agent's metrics where nothing scrapes it: to a
// Prometheus remote write endpoint and to a Pushgateway, from one-shot runs
// and from the daemon on an interval.
package push

import (
	"fmt"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/httpconf"
	httpprobe "github.com/sloagent/sloagent/probes/http"
)

// Config is the push section: where the agent sends its metrics on
// hosts that nothing can scrape. `sloagent once` pushes after its runs; the
// daemon pushes every Interval when one is set.
type Config struct {
	RemoteWrite *Endpoint          `yaml:"remote_write,omitempty"`
	Pushgateway *PushgatewayConfig `yaml:"pushgateway,omitempty"`
	// Interval makes the daemon push every interval, besides serving
	// /metrics. Zero: the daemon does not push.
	Interval conf.Duration `yaml:"interval,omitempty"`
	// Job is the job label of pushed series (and the Pushgateway's job
	// grouping key); the instance label is the agent's name.
	Job string `yaml:"job,omitempty"`
	// Timeout bounds each attempt.
	Timeout conf.Duration `yaml:"timeout,omitempty"`
	// MaxRetries is how many times a failed push is tried again, waiting
	// from MinBackoff, doubling up to MaxBackoff, in between.
	MaxRetries *int          `yaml:"max_retries,omitempty"`
	MinBackoff conf.Duration `yaml:"min_backoff,omitempty"`
	MaxBackoff conf.Duration `yaml:"max_backoff,omitempty"`
}

// Endpoint is an HTTP endpoint metrics are pushed to.
type Endpoint struct {
	URL             string      `yaml:"url"`
	BasicAuth       *BasicAuth  `yaml:"basic_auth,omitempty"`
	BearerToken     conf.Secret `yaml:"bearer_token,omitempty"`
	BearerTokenFile string      `yaml:"bearer_token_file,omitempty"`
	// Headers are sent with every push; values of credential-like
	// headers print as <secret> in /config.
	Headers httpprobe.Headers `yaml:"headers,omitempty"`
}

// PushgatewayConfig is a Pushgateway endpoint.
type PushgatewayConfig struct {
	Endpoint `yaml:",inline"`
}

// BasicAuth is sent with every push.
type BasicAuth = httpconf.BasicAuth

// Defaults of the push section.
const (
	DefaultJob        = "sloagent"
	DefaultTimeout    = httpconf.DefaultTimeout
	DefaultMaxRetries = httpconf.DefaultMaxRetries
	DefaultMinBackoff = httpconf.DefaultMinBackoff
	DefaultMaxBackoff = httpconf.DefaultMaxBackoff
)

// ApplyDefaults fills in what the section leaves unset.
func (c *Config) ApplyDefaults() {
	if c.Job == "" {
		c.Job = DefaultJob
	}
	httpconf.RetryDefaults(&c.Timeout, &c.MaxRetries, &c.MinBackoff, &c.MaxBackoff)
}

// Enabled reports whether any push target is configured.
func (c *Config) Enabled() bool { return c.RemoteWrite != nil || c.Pushgateway != nil }

// Validate checks the section; fields are relative to it.
func (c *Config) Validate(r conf.Report) {
	if c.RemoteWrite != nil {
		c.RemoteWrite.validate(r.At("remote_write"))
	}
	if c.Pushgateway != nil {
		c.Pushgateway.validate(r.At("pushgateway"))
	}
	switch {
	case c.Interval < 0:
		r.Errorf("interval", "must be positive")
	case c.Interval > 0 && !c.Enabled():
		r.Errorf("interval", "pushing every %s needs a remote_write or pushgateway target", c.Interval)
	}
	if c.Timeout < 0 {
		r.Errorf("timeout", "must be positive")
	}
	if c.MaxRetries != nil && *c.MaxRetries < 0 {
		r.Errorf("max_retries", "must not be negative, got %d", *c.MaxRetries)
	}
	httpconf.CheckBackoff(r, c.MinBackoff, c.MaxBackoff)
}

func (e *Endpoint) validate(r conf.Report) { httpconf.Check(r, e.URL, e.auth()) }

// auth is how the endpoint authenticates.
func (e *Endpoint) auth() httpconf.Auth {
	return httpconf.AuthOf(e.BasicAuth, e.BearerToken, e.BearerTokenFile)
}

// ApplyFlags sets the URLs of the push targets given on the command line
// (keeping a configured target's auth and headers) and checks them as the
// config's are checked.
func (c *Config) ApplyFlags(rwURL, pgURL string) error {
	if rwURL != "" {
		c.RemoteWrite = endpointAt(c.RemoteWrite, rwURL)
	}
	if pgURL != "" {
		var pg *Endpoint
		if c.Pushgateway != nil {
			pg = &c.Pushgateway.Endpoint
		}
		c.Pushgateway = &PushgatewayConfig{Endpoint: *endpointAt(pg, pgURL)}
	}
	r := conf.NewReport()
	c.Validate(r.At("push"))
	if !r.Empty() {
		return fmt.Errorf("%s", r.Problems()[0])
	}
	return nil
}

// endpointAt is a copy of e (or a new endpoint) with url.
func endpointAt(e *Endpoint, url string) *Endpoint {
	out := Endpoint{}
	if e != nil {
		out = *e
	}
	out.URL = url
	return &out
}
