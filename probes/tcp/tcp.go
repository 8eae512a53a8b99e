// Package tcp probes TCP services the way blackbox_exporter's tcp prober
// does: connect (with TLS from the start if asked), then run a dialogue of
// expected lines or bytes, sent lines and STARTTLS, timing each phase and
// naming one bounded reason when a run fails.
package tcp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/family"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// prober is what every run of one probe shares, built when the config is
// loaded.
type prober struct {
	host, port string
	ip         netprobe.IPConfig
	dialer     net.Dialer
	useTLS     bool
	tlsConfig  *tls.Config // nil unless tls or a starttls entry needs it
	queries    []QueryResponse
}

// New returns a prober for target (host:port). It reads tls_config's files
// now, so that a missing one shows when the config is loaded.
func New(target string, c *Config) (probes.Prober, error) {
	if c == nil {
		c = &Config{}
	}
	host, port, err := splitTarget(target)
	if err != nil {
		return nil, err
	}
	p := &prober{
		host: host, port: port,
		ip:      c.IPConfig,
		dialer:  net.Dialer{KeepAlive: -1},
		useTLS:  c.TLS,
		queries: c.QueryResponse,
	}
	if src := c.SourceIP(); src != nil {
		p.dialer.LocalAddr = &net.TCPAddr{IP: src}
	}
	needTLS := c.TLS
	for _, q := range c.QueryResponse {
		needTLS = needTLS || q.StartTLS
	}
	if needTLS {
		if p.tlsConfig, err = c.TLSConfig.New(host); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Probe connects and runs the dialogue.
func (p *prober) Probe(ctx context.Context, log *slog.Logger) probes.Result {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &run{p: p, ctx: ctx, log: log, start: time.Now(), phase: -1}
	r.debug = log.Enabled(ctx, slog.LevelDebug)
	r.deadline, _ = ctx.Deadline()
	res := r.do()
	r.end(time.Now())
	res.Duration = time.Since(r.start)
	res.Samples = r.samples()
	if r.debug {
		r.logResult(res)
	}
	return res
}

// run is the state of one run; it lives on one goroutine.
type run struct {
	p        *prober
	ctx      context.Context
	log      *slog.Logger
	debug    bool
	start    time.Time
	deadline time.Time

	phase      phase // -1 before the first
	phaseStart time.Time
	dur        [numPhases]time.Duration

	resolved    netprobe.Resolved
	resolvedOK  bool
	tlsState    *tls.ConnectionState
	peerCerts   []*x509.Certificate // of a handshake that failed verification
	failedRegex bool
	failedBytes bool
	expectInfo  []probes.Label
}

// enter ends the phase in progress and starts ph.
func (r *run) enter(ph phase) {
	now := time.Now()
	r.end(now)
	r.phase, r.phaseStart = ph, now
}

func (r *run) end(now time.Time) {
	if r.phase >= 0 && !r.phaseStart.IsZero() {
		r.dur[r.phase] += now.Sub(r.phaseStart)
		r.phaseStart = time.Time{}
	}
}

func (r *run) do() probes.Result {
	r.enter(phaseResolve)
	res, err := netprobe.Resolve(r.ctx, &r.p.ip, r.p.host)
	r.resolved = res
	if err != nil {
		return r.fail(err, "")
	}
	r.resolvedOK = true
	addr := net.JoinHostPort(res.IP.String(), r.p.port)
	if !res.Literal {
		r.logf("resolved", "host", r.p.host, "ip", res.IP.String(), "took", res.Took)
	}

	r.enter(phaseConnect)
	conn, err := r.p.dialer.DialContext(r.ctx, res.Network("tcp"), addr)
	if err != nil {
		return r.fail(err, "")
	}
	defer conn.Close()
	r.logf("connected", "addr", addr, "local", conn.LocalAddr().String())
	if !r.deadline.IsZero() {
		conn.SetDeadline(r.deadline)
	}
	// A read or write waits for the deadline only; the run's context
	// may also be canceled (the agent stopping).
	stop := context.AfterFunc(r.ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	if r.p.useTLS {
		tc, res, ok := r.handshake(conn)
		if !ok {
			return res
		}
		conn = tc
	}
	return r.dialogue(conn)
}

// handshake upgrades conn to TLS.
func (r *run) handshake(conn net.Conn) (net.Conn, probes.Result, bool) {
	r.enter(phaseTLS)
	tc := tls.Client(conn, r.p.tlsConfig)
	start := time.Now()
	if err := tc.HandshakeContext(r.ctx); err != nil {
		r.logf("tls handshake failed", "err", err, "took", time.Since(start))
		r.peerCerts = tlsprobe.UnverifiedCerts(err)
		return nil, r.fail(err, ""), false
	}
	cs := tc.ConnectionState()
	r.tlsState = &cs
	if r.debug {
		r.log.DebugContext(r.ctx, "tls handshake", tlsprobe.LogArgs(&cs, time.Since(start))...)
	}
	return tc, probes.Result{}, true
}

// fail turns err into the run's result. doing, when set, says what the
// dialogue was doing, for a timeout's message.
func (r *run) fail(err error, doing string) probes.Result {
	ph := r.phase
	if doing == "" {
		doing = phaseDoing[ph]
	}
	where := " while " + doing + " (" + phaseNames[ph] + " phase)"
	var resErr *netprobe.ResolveError
	switch ctxErr := r.ctx.Err(); {
	case errors.Is(ctxErr, context.Canceled):
		return probes.Fail(probes.ReasonCanceled, "canceled"+where)
	case errors.Is(ctxErr, context.DeadlineExceeded), netprobe.IsTimeout(err):
		return probes.Fail(probes.ReasonTimeout, "timed out after "+netprobe.Timeout(r.start, r.deadline)+where)
	case errors.As(err, &resErr):
		return probes.Fail(probes.ReasonDNS, resErr.Error())
	}
	if msg, ok := tlsprobe.Message(err); ok {
		return probes.Fail(probes.ReasonTLS, msg)
	}
	if ph == phaseTLS {
		return probes.Fail(probes.ReasonTLS, "TLS handshake failed: "+err.Error())
	}
	if msg, ok := netprobe.ConnMessage(err); ok {
		return probes.Fail(probes.ReasonConnect, msg+where)
	}
	if ph == phaseConnect {
		return probes.Fail(probes.ReasonConnect, err.Error()+where)
	}
	return probes.Fail(probes.ReasonProtocol, err.Error()+where)
}

func (r *run) samples() []probes.Sample {
	n := int(numPhases) + 4
	if r.tlsState != nil || len(r.peerCerts) > 0 {
		n += 5
	}
	s := make([]probes.Sample, 0, n)
	for ph := range numPhases {
		s = append(s, family.With(&Duration, r.dur[ph].Seconds(), phaseLabels[ph]))
	}
	s = netprobe.AppendSamples(s, r.resolved, r.resolvedOK)
	s = append(s, family.Sample(&FailedDueToRegex, b2f(r.failedRegex)), family.Sample(&FailedDueToBytes, b2f(r.failedBytes)))
	if r.expectInfo != nil {
		s = append(s, family.With(&ExpectInfo, 1, r.expectInfo))
	}
	switch {
	case r.tlsState != nil:
		s = tlsprobe.AppendState(s, r.tlsState)
	case len(r.peerCerts) > 0:
		s = tlsprobe.AppendCerts(s, r.peerCerts, nil)
	}
	return s
}

func (r *run) logf(msg string, args ...any) {
	if r.debug {
		r.log.DebugContext(r.ctx, msg, args...)
	}
}

func (r *run) logResult(res probes.Result) {
	args := []any{"success", res.Success, "duration", res.Duration}
	if !res.Success {
		args = append(args, "reason", res.Reason)
	}
	args = append(args, "message", res.Message)
	for ph := range numPhases {
		args = append(args, phaseNames[ph], r.dur[ph])
	}
	r.log.DebugContext(r.ctx, "result", args...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
