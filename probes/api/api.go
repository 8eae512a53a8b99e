// Package api runs multi-step API checks, as Checkly's API checks and
// Grafana's MultiHTTP do: a sequence of HTTP requests in one run, each
// templated with variables ({{name}}), checked by assertions (status,
// header, body regexp, a JSON value by JSONPath, a CEL expression,
// latency), and feeding values it extracts (from JSON, a header, a regexp
// group, a cookie) to the steps after it. The first failing step fails the
// run with its name in the message; secrets never show in messages or
// debug output.
package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/textproto"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
	httpprobe "github.com/sloagent/sloagent/probes/http"
	"github.com/sloagent/sloagent/probes/internal/family"
)

// prober is what every run of one probe shares, built when the config is
// loaded.
type prober struct {
	steps   []step
	vars    map[string]string // variables, secrets and the target
	secrets []string          // values to redact
	client  *httpprobe.Client // every step's requests
}

// step is a Step compiled.
type step struct {
	name    string
	labels  []probes.Label // the step label
	method  string
	url     template
	headers []header
	host    *template // a Host header sets the request's Host
	body    template
	timeout time.Duration
	checks  []check
	status  bool // has a status assertion; otherwise 2xx is required
	extract []extraction
}

type header struct {
	name  string // canonical
	value template
}

// New returns a prober. target, if set, is the variable {{target}}. It
// reads secret_files and tls_config's files now, so that a missing one
// shows when the config is loaded.
func New(target string, c *Config) (probes.Prober, error) {
	if c == nil {
		c = &Config{}
	}
	p := &prober{vars: map[string]string{}}
	if target != "" {
		p.vars[TargetVar] = target
	}
	for k, v := range c.Variables {
		p.vars[k] = v
	}
	for k, v := range c.Secrets {
		p.vars[k] = v.Reveal()
		p.secrets = append(p.secrets, v.Reveal())
	}
	for k, f := range c.SecretFiles {
		v, err := conf.SecretFrom("", f)
		if err != nil {
			return nil, fmt.Errorf("secret_files.%s: %w", k, err)
		}
		p.vars[k] = v.Reveal()
		p.secrets = append(p.secrets, v.Reveal())
	}
	if len(c.Steps) == 0 {
		return nil, fmt.Errorf("an api probe needs at least one step")
	}
	for i := range c.Steps {
		s, err := compileStep(&c.Steps[i])
		if err != nil {
			return nil, fmt.Errorf("steps[%d]: %w", i, err)
		}
		p.steps = append(p.steps, s)
	}
	client, err := httpprobe.NewClient(clientConfig(c))
	if err != nil {
		return nil, err
	}
	p.client = client
	return p, nil
}

func compileStep(s *Step) (step, error) {
	out := step{name: s.Name, labels: family.Labels(&StepDuration, s.Name), method: s.Request.Method, timeout: s.Timeout.D()}
	if out.method == "" {
		out.method = DefaultMethod
	}
	var err error
	if out.url, err = parseURLTemplate(s.Request.URL); err != nil {
		return out, fmt.Errorf("request.url: %w", err)
	}
	if out.body, err = parseTemplate(s.Request.Body); err != nil {
		return out, fmt.Errorf("request.body: %w", err)
	}
	for name, v := range s.Request.Headers {
		t, err := parseTemplate(v)
		if err != nil {
			return out, fmt.Errorf("request.headers.%s: %w", name, err)
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		if key == "Host" {
			out.host = &t
			continue
		}
		out.headers = append(out.headers, header{key, t})
	}
	for i := range s.Assertions {
		c, err := compileAssertion(&s.Assertions[i])
		if err != nil {
			return out, fmt.Errorf("assertions[%d]: %w", i, err)
		}
		out.status = out.status || len(c.status) > 0
		out.checks = append(out.checks, c)
	}
	for i := range s.Extract {
		e, err := compileExtraction(&s.Extract[i])
		if err != nil {
			return out, fmt.Errorf("extract[%d]: %w", i, err)
		}
		out.extract = append(out.extract, e)
	}
	return out, nil
}

// Close drops the connections a run may have left behind.
func (p *prober) Close() error { return p.client.Close() }

// run is the state of one run.
type run struct {
	p      *prober
	ctx    context.Context
	log    *slog.Logger
	debug  bool
	start  time.Time
	vars   map[string]string
	redact *redactor
	jar    http.CookieJar // the run's: its steps share cookies, no other run sees them

	results   []stepResult
	peerCerts []*x509.Certificate
}

type stepResult struct {
	ran      bool
	ok       bool
	status   int
	duration time.Duration
}

// Probe runs the steps in order until one fails.
func (p *prober) Probe(ctx context.Context, log *slog.Logger) probes.Result {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &run{p: p, ctx: ctx, log: log, start: time.Now(), results: make([]stepResult, len(p.steps))}
	r.debug = log.Enabled(ctx, slog.LevelDebug)
	r.vars = make(map[string]string, len(p.vars)+4)
	for k, v := range p.vars {
		r.vars[k] = v
	}
	r.redact = newRedactor(p.secrets)
	r.jar, _ = cookiejar.New(nil) // never fails without options

	res := probes.Result{Success: true}
	for i := range p.steps {
		if f := r.step(i); f != nil {
			res = *f
			break
		}
	}
	if res.Success {
		res.Message = fmt.Sprintf("%d steps passed", len(p.steps))
	}
	res.Message = r.redact.text(res.Message)
	res.Duration = time.Since(r.start)
	res.Samples = r.samples()
	if r.debug {
		args := []any{"success", res.Success, "duration", res.Duration}
		if !res.Success {
			args = append(args, "reason", res.Reason)
		}
		log.DebugContext(ctx, "result", append(args, "message", res.Message)...)
	}
	return res
}

// tlsCerts keeps the certificates of a step's connection for the run's
// earliest expiry.
func (r *run) tlsCerts(cs *tls.ConnectionState) {
	if cs != nil {
		r.peerCerts = append(r.peerCerts, cs.PeerCertificates...)
	}
}
