// Package netrun is the scaffolding of one run of a kind that opens its own
// connections (tcp, dns, grpc, icmp): the run's context, deadline and
// debug log, resolving the target, dialing under the run's deadline, the
// TLS handshake, the reasons every such kind names alike, the series of
// the address and the certificates, and the timeline of the kind's
// phases. A kind keeps only what is its own: its protocol and its checks.
package netrun

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// Run is the state of one run that every such kind keeps. A kind embeds it
// in its own run type.
type Run struct {
	Ctx      context.Context
	Log      *slog.Logger
	Debug    bool // the log takes debug records: build their detail
	Start    time.Time
	Deadline time.Time // zero without one

	Resolved   netprobe.Resolved
	ResolvedOK bool
	// TLSState is the state of a finished handshake; PeerCerts are the
	// certificates of one that failed verification, whose expiry is
	// often why.
	TLSState  *tls.ConnectionState
	PeerCerts []*x509.Certificate

	Timeline // of the kind's phases, if it has them
	stops    []func() bool
}

// Begin starts the run under ctx, before the first of phases (nil for a
// kind without them); a nil log discards.
func (r *Run) Begin(ctx context.Context, log *slog.Logger, phases *Phases) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r.Ctx, r.Log, r.Start, r.Debug = ctx, log, time.Now(), log.Enabled(ctx, slog.LevelDebug)
	r.Deadline, _ = ctx.Deadline()
	r.Timeline.start(phases)
}

// Logf writes a debug line when the log takes them, unless the run is over
// (a dial it gave up on may still report).
func (r *Run) Logf(msg string, args ...any) {
	if r.Debug && !r.Finished() {
		r.Log.DebugContext(r.Ctx, msg, args...)
	}
}

// Resolve looks up host (one address, of the preferred family) and keeps
// the outcome for the run's samples.
func (r *Run) Resolve(c *netprobe.IPConfig, host string) error {
	res, err := netprobe.Resolve(r.Ctx, c, host)
	r.Resolved = res
	if err != nil {
		return err
	}
	r.ResolvedOK = true
	if !res.Literal {
		r.Logf("resolved", "host", host, "ip", res.IP.String(), "took", res.Took)
	}
	return nil
}

// Connect resolves t's host (phase PhaseResolve) and connects to its port
// (phase PhaseConnect); network is "tcp" or "udp", the address's
// family is added.
func (r *Run) Connect(t *Target, network string) (net.Conn, error) {
	r.Enter(PhaseResolve)
	if err := r.Resolve(&t.IP, t.Host); err != nil {
		return nil, err
	}
	r.Enter(PhaseConnect)
	return r.Dial(&t.Dialer, r.Resolved.Network(network), net.JoinHostPort(r.Resolved.IP.String(), t.Port))
}

// Dial connects with d, and bounds every read and write of the connection
// by the run: its deadline, and its context ending (the agent stopping).
// The caller closes the connection.
func (r *Run) Dial(d *net.Dialer, network, addr string) (net.Conn, error) {
	conn, err := d.DialContext(r.Ctx, network, addr)
	if err != nil {
		return nil, err
	}
	r.Logf("connected", "addr", addr, "local", conn.LocalAddr().String())
	if !r.Deadline.IsZero() {
		conn.SetDeadline(r.Deadline)
	}
	r.stops = append(r.stops, context.AfterFunc(r.Ctx, func() { conn.SetDeadline(time.Now()) }))
	return conn, nil
}

// Handshake upgrades conn to TLS with c, keeping the handshake's state, or
// the certificates of one that failed verification.
func (r *Run) Handshake(conn net.Conn, c *tls.Config) (*tls.Conn, error) {
	tc := tls.Client(conn, c)
	start := time.Now()
	if err := tc.HandshakeContext(r.Ctx); err != nil {
		r.Logf("tls handshake failed", "err", err, "took", time.Since(start))
		r.PeerCerts = tlsprobe.UnverifiedCerts(err)
		return nil, err
	}
	cs := tc.ConnectionState()
	r.TLSState = &cs
	if r.Debug {
		r.Log.DebugContext(r.Ctx, "tls handshake", tlsprobe.LogArgs(&cs, time.Since(start))...)
	}
	return tc, nil
}

// Ended is the result of a run whose context ended: canceled, or out of
// time. where says what the run was doing (" while ...").
func (r *Run) Ended(where string) probes.Result {
	if errors.Is(r.Ctx.Err(), context.Canceled) {
		return probes.Fail(probes.ReasonCanceled, "canceled"+where)
	}
	return probes.Fail(probes.ReasonTimeout, "timed out after "+netprobe.Timeout(r.Start, r.Deadline)+where)
}

// Fail names the reason of err where every kind names it alike, in the
// order that matters: the run's end (or a step's deadline) wins over
// whatever the cut-short operation reported; then a failed lookup, a TLS
// failure (any failure of a handshake, when inTLS), a failed connection.
// ok is false for anything else, which the kind names from its phase.
func (r *Run) Fail(err error, where string, inTLS bool) (res probes.Result, ok bool) {
	var resErr *netprobe.ResolveError
	switch ctxErr := r.Ctx.Err(); {
	case ctxErr != nil, netprobe.IsTimeout(err):
		return r.Ended(where), true
	case errors.As(err, &resErr):
		return probes.Fail(probes.ReasonDNS, resErr.Error()), true
	}
	if msg, ok := tlsprobe.Message(err); ok {
		return probes.Fail(probes.ReasonTLS, msg), true
	}
	if inTLS {
		return probes.Fail(probes.ReasonTLS, "TLS handshake failed: "+netprobe.Text(err)), true
	}
	if msg, ok := netprobe.ConnMessage(err); ok {
		return probes.Fail(probes.ReasonConnect, msg+where), true
	}
	return probes.Result{}, false
}

// AppendSamples appends the series of the address the run resolved and of
// the certificates it saw.
func (r *Run) AppendSamples(s []probes.Sample) []probes.Sample {
	s = netprobe.AppendSamples(s, r.Resolved, r.ResolvedOK)
	switch {
	case r.TLSState != nil:
		s = tlsprobe.AppendState(s, r.TLSState)
	case len(r.PeerCerts) > 0:
		s = tlsprobe.AppendCerts(s, r.PeerCerts, nil)
	}
	return s
}

// Families lists a kind's own families and those AppendSamples writes:
// the address's, and the certificates' for a kind that speaks TLS.
func Families(speaksTLS bool, own ...probes.Family) []probes.Family {
	out := append(own[:len(own):len(own)], netprobe.IPProtocol, netprobe.DNSLookup)
	if speaksTLS {
		out = append(out, tlsprobe.Families...)
	}
	return out
}

// Finish ends the run's timeline and completes its result: its duration,
// its samples, and the debug log's result line with the phases' durations
// and logArgs after the message.
func (r *Run) Finish(res probes.Result, samples func() []probes.Sample, logArgs ...any) probes.Result {
	r.Timeline.finish()
	for _, stop := range r.stops {
		stop()
	}
	res.Duration = time.Since(r.Start)
	res.Samples = samples()
	if r.Debug {
		logArgs = append(r.Timeline.logArgs(), logArgs...)
		args := []any{"success", res.Success, "duration", res.Duration}
		if !res.Success {
			args = append(args, "reason", res.Reason)
		}
		args = append(args, "message", res.Message)
		r.Log.DebugContext(r.Ctx, "result", append(args, logArgs...)...)
	}
	return res
}

// Target is how a prober reaches its target, built when the config is
// loaded: the host and port, the address family options, the dialer (from
// the source address, without keep-alives: a run's connection is short)
// and the TLS config, nil without TLS.
type Target struct {
	Host, Port string
	IP         netprobe.IPConfig
	Dialer     net.Dialer
	TLS        *tls.Config
}

// NewTarget builds the Target of host and port for network ("tcp" or
// "udp"); it reads tls's files now when useTLS, so that a missing one
// shows when the config is loaded.
func NewTarget(host, port, network string, ip netprobe.IPConfig, tlsc *tlsprobe.Config, useTLS bool) (*Target, error) {
	t := &Target{Host: host, Port: port, IP: ip, Dialer: net.Dialer{KeepAlive: -1}}
	if src := ip.SourceIP(); src != nil {
		if network == "udp" {
			t.Dialer.LocalAddr = &net.UDPAddr{IP: src}
		} else {
			t.Dialer.LocalAddr = &net.TCPAddr{IP: src}
		}
	}
	if useTLS {
		var err error
		if t.TLS, err = tlsc.New(host); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Runner is a kind's run type, which embeds Run: Do does the kind's work
// and returns the result, Samples lists the run's series once it is done.
// A Runner may also have LogArgs() []any, for the debug log's result line.
type Runner interface {
	run() *Run
	Do() probes.Result
	Samples() []probes.Sample
}

func (r *Run) run() *Run { return r }

// Probe does one run of a kind with phases (nil without them).
func Probe(ctx context.Context, log *slog.Logger, phases *Phases, k Runner) probes.Result {
	r := k.run()
	r.Begin(ctx, log, phases)
	res := k.Do()
	var args []any
	if l, ok := k.(interface{ LogArgs() []any }); ok {
		args = l.LogArgs()
	}
	return r.Finish(res, k.Samples, args...)
}
