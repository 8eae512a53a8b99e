// Package httpconf is what the agent's own HTTP clients (the push to
// remote write and the Pushgateway, the alerts to Alertmanager) share:
// their retry defaults, the headers that authenticate them, and how a
// response says whether to try again.
package httpconf

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

// Defaults of the retry settings (timeout, max_retries, min_backoff,
// max_backoff) of every such client.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultMaxRetries = 3
	DefaultMinBackoff = 500 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// RetryDefaults fills the retry settings a section leaves unset; the
// maximum backoff is never below the minimum.
func RetryDefaults(timeout *conf.Duration, maxRetries **int, minBackoff, maxBackoff *conf.Duration) {
	if *timeout == 0 {
		*timeout = conf.Duration(DefaultTimeout)
	}
	if *maxRetries == nil {
		n := DefaultMaxRetries
		*maxRetries = &n
	}
	if *minBackoff == 0 {
		*minBackoff = conf.Duration(DefaultMinBackoff)
	}
	if *maxBackoff == 0 {
		*maxBackoff = conf.Duration(max(DefaultMaxBackoff, minBackoff.D()))
	}
}

// CheckBackoff records the problems of a section's min_backoff and
// max_backoff.
func CheckBackoff(r conf.Report, minBackoff, maxBackoff conf.Duration) {
	if minBackoff < 0 {
		r.Errorf("min_backoff", "must be positive")
	}
	if maxBackoff < minBackoff {
		r.Errorf("max_backoff", "max_backoff %s is shorter than min_backoff %s", maxBackoff, minBackoff)
	}
}

// BasicAuth is the basic_auth section of every such client.
type BasicAuth struct {
	Username     string      `yaml:"username"`
	Password     conf.Secret `yaml:"password,omitempty"`
	PasswordFile string      `yaml:"password_file,omitempty"`
}

// AuthOf is the Auth of a client's basic_auth (nil when not set),
// bearer_token and bearer_token_file.
func AuthOf(b *BasicAuth, bearerToken conf.Secret, bearerTokenFile string) Auth {
	a := Auth{BearerToken: bearerToken, BearerTokenFile: bearerTokenFile}
	if b != nil {
		a.Basic, a.Username, a.Password, a.PasswordFile = true, b.Username, b.Password, b.PasswordFile
	}
	return a
}

// Auth is how a client authenticates: basic auth or a bearer token, each
// possibly in a file (read when the client is built).
type Auth struct {
	Username, PasswordFile, BearerTokenFile string
	Password, BearerToken                   conf.Secret
	Basic                                   bool
}

// Check records the problems of a client's URL and authentication, fields
// relative to the client's section.
func Check(r conf.Report, rawURL string, a Auth) {
	if rawURL == "" {
		r.Errorf("url", "missing URL")
	} else if u, err := url.Parse(rawURL); err != nil {
		r.Errorf("url", "invalid URL: %v", err)
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.Errorf("url", "url %q must be an http:// or https:// URL with a host", rawURL)
	}
	if a.BearerToken != "" && a.BearerTokenFile != "" {
		r.Errorf("bearer_token_file", "bearer_token and bearer_token_file are mutually exclusive")
	}
	conf.CheckFile(r, "bearer_token_file", a.BearerTokenFile)
	if a.Basic {
		rb := r.At("basic_auth")
		if a.Username == "" {
			rb.Errorf("username", "missing username")
		}
		if a.Password != "" && a.PasswordFile != "" {
			rb.Errorf("password_file", "password and password_file are mutually exclusive")
		}
		conf.CheckFile(rb, "password_file", a.PasswordFile)
		if a.BearerToken != "" || a.BearerTokenFile != "" {
			r.Errorf("bearer_token", "basic_auth and bearer_token are mutually exclusive")
		}
	}
}

// SetHeader sets h's Authorization header as a says.
func (a Auth) SetHeader(h http.Header) error {
	if a.Basic {
		pw, err := conf.SecretFrom(a.Password, a.PasswordFile)
		if err != nil {
			return fmt.Errorf("basic_auth.password_file: %w", err)
		}
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(a.Username, pw.Reveal())
		h.Set("Authorization", r.Header.Get("Authorization"))
	}
	if a.BearerToken != "" || a.BearerTokenFile != "" {
		tok, err := conf.SecretFrom(a.BearerToken, a.BearerTokenFile)
		if err != nil {
			return fmt.Errorf("bearer_token_file: %w", err)
		}
		h.Set("Authorization", "Bearer "+tok.Reveal())
	}
	return nil
}

// Client is an HTTP client with a timeout per request that adds h to
// every request, on a transport of its own.
func Client(h http.Header, timeout time.Duration, tr *http.Transport) *http.Client {
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &http.Client{Timeout: timeout, Transport: headerTransport{h, tr}}
}

// headerTransport adds fixed headers (authentication) to every request.
type headerTransport struct {
	h    http.Header
	next http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.h {
		r.Header[k] = v
	}
	return t.next.RoundTrip(r)
}

// Send sends req and reports whether a failure is worth retrying:
// network errors, 5xx and 429 are, a refused request is not. who names
// the server in the error ("server", "Alertmanager").
func Send(c *http.Client, req *http.Request, who string) (retry bool, err error) {
	resp, err := c.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	err = fmt.Errorf("%s returned HTTP status %s: %s", who, resp.Status, strings.TrimSpace(string(msg)))
	return resp.StatusCode/100 == 5 || resp.StatusCode == http.StatusTooManyRequests, err
}
