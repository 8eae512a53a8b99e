package notify

import (
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/httpconf"
)

// Config is the notifications section: the Alertmanagers the agent's
// alerts go to. It is for hosts that nothing scrapes; where Prometheus
// evaluates the generated rules, leave it out.
type Config struct {
	Alertmanagers []Target `yaml:"alertmanagers,omitempty"`
	// ResendInterval is how often a firing alert (and, for
	// slo.ResolvedRetention, a resolved one) is sent again, as
	// Prometheus' --rules.alert.resend-delay. A firing alert ends four
	// intervals after it was last sent, so an Alertmanager resolves it
	// when the agent is gone.
	ResendInterval conf.Duration `yaml:"resend_interval,omitempty"`
	// Timeout bounds each request.
	Timeout conf.Duration `yaml:"timeout,omitempty"`
	// MaxRetries is how often a failed request is tried again, waiting
	// from MinBackoff, doubling up to MaxBackoff, in between.
	MaxRetries *int          `yaml:"max_retries,omitempty"`
	MinBackoff conf.Duration `yaml:"min_backoff,omitempty"`
	MaxBackoff conf.Duration `yaml:"max_backoff,omitempty"`
	// QueueCapacity bounds the alerts waiting for each Alertmanager;
	// beyond it the oldest are dropped and counted.
	QueueCapacity int `yaml:"queue_capacity,omitempty"`
}

// Target is one Alertmanager.
type Target struct {
	// URL is the Alertmanager's base URL (http://alertmanager:9093,
	// with a path prefix if it has one); alerts go to <url>/api/v2/alerts.
	URL             string      `yaml:"url"`
	BasicAuth       *BasicAuth  `yaml:"basic_auth,omitempty"`
	BearerToken     conf.Secret `yaml:"bearer_token,omitempty"`
	BearerTokenFile string      `yaml:"bearer_token_file,omitempty"`
	// Headers are sent with every request; their values print as
	// <secret> in /config.
	Headers map[string]conf.Secret `yaml:"headers,omitempty"`
	TLS     *TLSConfig             `yaml:"tls_config,omitempty"`
}

// BasicAuth is sent with every request.
type BasicAuth = httpconf.BasicAuth

// TLSConfig is how the agent connects to an https:// Alertmanager: a CA
// to trust, a client certificate, the server name to check.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file,omitempty"`
	CertFile           string `yaml:"cert_file,omitempty"`
	KeyFile            string `yaml:"key_file,omitempty"`
	ServerName         string `yaml:"server_name,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
}

// Defaults of the section, Prometheus' where it has them.
const (
	DefaultResendInterval = time.Minute
	DefaultTimeout        = httpconf.DefaultTimeout
	DefaultMaxRetries     = httpconf.DefaultMaxRetries
	DefaultMinBackoff     = httpconf.DefaultMinBackoff
	DefaultMaxBackoff     = httpconf.DefaultMaxBackoff
	DefaultQueueCapacity  = 10000
)

// ApplyDefaults fills what the config leaves unset.
func (c *Config) ApplyDefaults() {
	if c.ResendInterval == 0 {
		c.ResendInterval = conf.Duration(DefaultResendInterval)
	}
	httpconf.RetryDefaults(&c.Timeout, &c.MaxRetries, &c.MinBackoff, &c.MaxBackoff)
	if c.QueueCapacity == 0 {
		c.QueueCapacity = DefaultQueueCapacity
	}
}

// Enabled reports whether any Alertmanager is configured.
func (c *Config) Enabled() bool { return len(c.Alertmanagers) > 0 }

// Validate records the section's problems, fields relative to it. Call
// ApplyDefaults first.
func (c *Config) Validate(r conf.Report) {
	seen := map[string]int{}
	for i := range c.Alertmanagers {
		ri := r.Index("alertmanagers", i)
		c.Alertmanagers[i].validate(ri)
		if j, dup := seen[c.Alertmanagers[i].URL]; dup {
			ri.Errorf("url", "Alertmanager %q is listed twice (also alertmanagers[%d])", c.Alertmanagers[i].URL, j)
		}
		seen[c.Alertmanagers[i].URL] = i
	}
	if c.ResendInterval < conf.Duration(time.Second) {
		r.Errorf("resend_interval", "must be at least 1s (got %s)", c.ResendInterval)
	}
	if c.Timeout <= 0 {
		r.Errorf("timeout", "must be positive")
	}
	if c.MaxRetries != nil && *c.MaxRetries < 0 {
		r.Errorf("max_retries", "must not be negative (got %d)", *c.MaxRetries)
	}
	httpconf.CheckBackoff(r, c.MinBackoff, c.MaxBackoff)
	if c.QueueCapacity < 0 {
		r.Errorf("queue_capacity", "must not be negative (got %d)", c.QueueCapacity)
	}
}

func (t *Target) validate(r conf.Report) {
	httpconf.Check(r, t.URL, t.auth())
	if tc := t.TLS; tc != nil {
		rt := r.At("tls_config")
		conf.CheckFile(rt, "ca_file", tc.CAFile)
		conf.CheckFile(rt, "cert_file", tc.CertFile)
		conf.CheckFile(rt, "key_file", tc.KeyFile)
		if (tc.CertFile == "") != (tc.KeyFile == "") {
			rt.Errorf("cert_file", "cert_file and key_file go together")
		}
	}
}

// auth is how the agent authenticates to the Alertmanager.
func (t *Target) auth() httpconf.Auth {
	return httpconf.AuthOf(t.BasicAuth, t.BearerToken, t.BearerTokenFile)
}

// promTLS is the config in the form of prometheus/common, which builds
// the crypto/tls config (and reads the files) the way Prometheus does.
func (t *TLSConfig) promTLS() *promconfig.TLSConfig {
	return &promconfig.TLSConfig{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
		ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}
}
