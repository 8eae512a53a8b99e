// Package tcp probes TCP services the way blackbox_exporter's tcp prober
// does: connect (with TLS from the start if asked), then run a dialogue of
// expected lines or bytes, sent lines and STARTTLS, timing each phase and
// naming one bounded reason when a run fails.
package tcp

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/family"
	"github.com/sloagent/sloagent/probes/internal/netrun"
)

// prober is what every run of one probe shares, built when the config is
// loaded.
type prober struct {
	*netrun.Target // its TLS is nil unless tls or a starttls entry needs it
	useTLS         bool
	queries        []QueryResponse
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
	needTLS := c.TLS
	for _, q := range c.QueryResponse {
		needTLS = needTLS || q.StartTLS
	}
	t, err := netrun.NewTarget(host, port, "tcp", c.IPConfig, &c.TLSConfig, needTLS)
	if err != nil {
		return nil, err
	}
	return &prober{Target: t, useTLS: c.TLS, queries: c.QueryResponse}, nil
}

// Probe connects and runs the dialogue.
func (p *prober) Probe(ctx context.Context, log *slog.Logger) probes.Result {
	return netrun.Probe(ctx, log, phases, &run{p: p})
}

// run is the state of one run; it lives on one goroutine.
type run struct {
	netrun.Run
	p *prober

	failedRegex bool
	failedBytes bool
	expectInfo  []probes.Label
}

func (r *run) Do() probes.Result {
	conn, err := r.Connect(r.p.Target, "tcp")
	if err != nil {
		return r.fail(err, "")
	}
	defer conn.Close()
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
	r.Enter(phaseTLS)
	tc, err := r.Handshake(conn, r.p.TLS)
	if err != nil {
		return nil, r.fail(err, ""), false
	}
	return tc, probes.Result{}, true
}

// fail turns err into the run's result. doing, when set, says what the
// dialogue was doing, for a timeout's message.
func (r *run) fail(err error, doing string) probes.Result {
	ph := r.Phase()
	where := r.Where(doing)
	if res, ok := r.Fail(err, where, ph == phaseTLS); ok {
		return res
	}
	if ph == phaseConnect {
		return probes.Fail(probes.ReasonConnect, err.Error()+where)
	}
	return probes.Fail(probes.ReasonProtocol, err.Error()+where)
}

func (r *run) Samples() []probes.Sample {
	n := phases.Len() + 4
	if r.TLSState != nil || len(r.PeerCerts) > 0 {
		n += 5
	}
	s := r.AppendPhases(make([]probes.Sample, 0, n))
	s = append(s, family.Sample(&FailedDueToRegex, b2f(r.failedRegex)), family.Sample(&FailedDueToBytes, b2f(r.failedBytes)))
	if r.expectInfo != nil {
		s = append(s, family.With(&ExpectInfo, 1, r.expectInfo))
	}
	return r.AppendSamples(s)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
