package discovery

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sloagent/sloagent/internal/clip"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
	phttp "github.com/sloagent/sloagent/probes/http"
)

// HTTPSDConfig is an entry of http_sd_configs, as Prometheus has it: a URL
// that answers with a JSON list of target groups, fetched every
// refresh_interval, with the HTTP probe's credentials, TLS and proxy
// settings (and its client).
type HTTPSDConfig struct {
	URL             conf.URL      `yaml:"url"`
	RefreshInterval conf.Duration `yaml:"refresh_interval,omitempty"`
	// Timeout bounds one fetch; the refresh interval's when shorter.
	Timeout conf.Duration `yaml:"timeout,omitempty"`

	Headers         phttp.Headers        `yaml:"headers,omitempty"`
	BasicAuth       *phttp.BasicAuth     `yaml:"basic_auth,omitempty"`
	BearerToken     conf.Secret          `yaml:"bearer_token,omitempty"`
	BearerTokenFile string               `yaml:"bearer_token_file,omitempty"`
	Authorization   *phttp.Authorization `yaml:"authorization,omitempty"`
	OAuth2          *phttp.OAuth2        `yaml:"oauth2,omitempty"`
	TLSConfig       phttp.TLSConfig      `yaml:"tls_config,omitempty"`
	ProxyURL        phttp.ProxyURL       `yaml:"proxy_url,omitempty"`
	FollowRedirects *bool                `yaml:"follow_redirects,omitempty"`
}

// Defaults of http_sd, Prometheus' refresh interval among them.
const (
	DefaultHTTPRefresh = time.Minute
	DefaultHTTPTimeout = 10 * time.Second
)

// ApplyDefaults sets the refresh interval and timeout.
func (c *HTTPSDConfig) ApplyDefaults() {
	c.RefreshInterval = cmp.Or(c.RefreshInterval, conf.Duration(DefaultHTTPRefresh))
	c.Timeout = cmp.Or(c.Timeout, conf.Duration(min(DefaultHTTPTimeout, c.RefreshInterval.D())))
}

// Validate checks the URL, and the client settings as the HTTP probe
// checks its own.
func (c *HTTPSDConfig) Validate(r conf.Report) {
	validateRefresh(r, c.RefreshInterval)
	if c.Timeout <= 0 {
		r.Errorf("timeout", "must be positive")
	}
	before := len(r.Problems())
	probes.ValidateURL(r, "url", c.URL.Reveal())
	if len(r.Problems()) > before {
		return
	}
	// The probe's checks report under its section's key, which these
	// settings are not under.
	hc := c.client()
	pr := conf.NewReport()
	phttp.Kind.Validate(c.URL.Reveal(), &hc, pr)
	for _, p := range pr.Problems() {
		r.Errorf(strings.TrimPrefix(p.Field, phttp.Kind.Name+"."), "%s", p.Msg)
	}
}

// client is the HTTP probe section the fetches are made with.
func (c *HTTPSDConfig) client() phttp.Config {
	h := phttp.Headers{}
	for k, v := range c.Headers {
		h[k] = v
	}
	if _, ok := h["Accept"]; !ok {
		h["Accept"] = "application/json"
	}
	return phttp.Config{Headers: h, BasicAuth: c.BasicAuth, BearerToken: c.BearerToken, BearerTokenFile: c.BearerTokenFile,
		Authorization: c.Authorization, OAuth2: c.OAuth2, TLSConfig: c.TLSConfig, ProxyURL: c.ProxyURL,
		FollowRedirects: c.FollowRedirects, BodySizeLimit: phttp.BodySizeLimit(maxTargetsFile)}
}

// NewHTTPSource returns the source of c; it reads its credential and
// certificate files now.
func NewHTTPSource(c HTTPSDConfig) (Source, error) {
	hc := c.client()
	cl, err := phttp.NewClient(&hc)
	if err != nil {
		return nil, err
	}
	return &httpSource{c: c, client: cl}, nil
}

// quiet is the log of the fetches: their outcome is the manager's to log.
var quiet = slog.New(slog.DiscardHandler)

type httpSource struct {
	c      HTTPSDConfig
	client *phttp.Client
}

// Refresh fetches the list. Anything but a 200 with a list of target
// groups is an error, which keeps the targets of the last good fetch.
func (s *httpSource) Refresh(ctx context.Context) ([]Target, error) {
	ctx, cancel := context.WithTimeout(ctx, s.c.Timeout.D())
	defer cancel()
	ex, err := s.client.Do(ctx, phttp.Request{URL: s.c.URL.Reveal()}, quiet)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.c.URL, err)
	}
	if f := ex.Failure; f != nil {
		// The message can quote what the server sent (a malformed
		// header line of a megabyte). The client quotes some 600 bytes
		// of it at most; the status page and the log take no more than
		// the start of whatever else a message may hold.
		return nil, fmt.Errorf("%s: %s: %s", s.c.URL, f.Reason, clip.Head(f.Message, 768))
	}
	if code := ex.Response.StatusCode; code != 200 {
		return nil, fmt.Errorf("%s answered with status %d", s.c.URL, code)
	}
	gs, err := parseGroups(ex.Response.Body)
	if err != nil {
		// What the body was said to be tells a login page or a
		// compressed body from a broken list; quoted and cut short, as
		// the server wrote it.
		h := ex.Response.Header
		what := fmt.Sprintf("Content-Type %.64q", h.Get("Content-Type"))
		if enc := h.Get("Content-Encoding"); enc != "" {
			what += fmt.Sprintf(", Content-Encoding %.64q", enc)
		}
		return nil, fmt.Errorf("%s answered with a body (%s): %w", s.c.URL, what, err)
	}
	return flatten(gs, map[string]string{"__meta_url": s.c.URL.String()}), nil
}

// Close releases the client.
func (s *httpSource) Close() error { return s.client.Close() }
