// Package dns probes DNS servers the way blackbox_exporter's dns prober does:
// one query (name, type, class, recursion desired) over UDP, TCP or TLS,
// then checks of the response code and of the records of each section
// against regular expressions, timing each phase and naming one bounded
// reason when a run fails. The wire protocol is github.com/miekg/dns.
package dns

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

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
	transport  string // udp or tcp
	tlsConfig  *tls.Config
	client     dns.Client
	question   dns.Question
	recursion  bool
	rcodes     []int
	sections   [3]section
	soa        bool
}

type section struct {
	name string // for messages: answer, authority, additional
	v    *RRValidator
}

// New returns a prober for target, the server (host or host:port).
func New(target string, c *Config) (probes.Prober, error) {
	if c == nil {
		c = &Config{}
	}
	host, port, err := splitTarget(target, c.DNSOverTLS)
	if err != nil {
		return nil, err
	}
	qt, ok := queryType(c.QueryType)
	if !ok {
		return nil, errors.New("unknown query_type " + c.QueryType)
	}
	qc, ok := queryClass(c.QueryClass)
	if !ok {
		return nil, errors.New("unknown query_class " + c.QueryClass)
	}
	p := &prober{
		host: host, port: port,
		ip:        c.IPConfig,
		dialer:    net.Dialer{KeepAlive: -1},
		transport: c.transport(),
		question:  dns.Question{Name: dns.Fqdn(c.QueryName), Qtype: qt, Qclass: qc},
		recursion: c.RecursionDesired == nil || *c.RecursionDesired,
		soa:       qt == dns.TypeSOA,
		sections: [3]section{{"answer", &c.ValidateAnswer}, {"authority", &c.ValidateAuthority},
			{"additional", &c.ValidateAdditional}},
	}
	// The run's deadline bounds the exchange, not the library's defaults
	// of 2 seconds.
	p.client.ReadTimeout, p.client.WriteTimeout = time.Hour, time.Hour
	if src := c.SourceIP(); src != nil {
		if p.transport == "tcp" {
			p.dialer.LocalAddr = &net.TCPAddr{IP: src}
		} else {
			p.dialer.LocalAddr = &net.UDPAddr{IP: src}
		}
	}
	rcodes := c.ValidRcodes
	if len(rcodes) == 0 {
		rcodes = []string{DefaultRcode}
	}
	for _, s := range rcodes {
		rc, ok := rcode(s)
		if !ok {
			return nil, errors.New("unknown rcode " + s)
		}
		p.rcodes = append(p.rcodes, rc)
	}
	if c.DNSOverTLS {
		if p.tlsConfig, err = c.TLSConfig.New(host); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Probe sends the query and checks the response.
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
		args := []any{"success", res.Success, "duration", res.Duration}
		if !res.Success {
			args = append(args, "reason", res.Reason)
		}
		args = append(args, "message", res.Message)
		for ph := range numPhases {
			args = append(args, phaseNames[ph], r.dur[ph])
		}
		r.log.DebugContext(ctx, "result", args...)
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

	phase      phase
	phaseStart time.Time
	dur        [numPhases]time.Duration

	resolved   netprobe.Resolved
	resolvedOK bool
	resp       *dns.Msg
	tlsState   *tls.ConnectionState
	peerCerts  []*x509.Certificate
}

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
		return r.fail(err)
	}
	r.resolvedOK = true
	addr := net.JoinHostPort(res.IP.String(), r.p.port)
	network := res.Network(r.p.transport)
	if !res.Literal {
		r.logf("resolved", "host", r.p.host, "ip", res.IP.String(), "took", res.Took)
	}

	r.enter(phaseConnect)
	nc, err := r.p.dialer.DialContext(r.ctx, network, addr)
	if err != nil {
		return r.fail(err)
	}
	defer nc.Close()
	if !r.deadline.IsZero() {
		nc.SetDeadline(r.deadline)
	}
	stop := context.AfterFunc(r.ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	if r.p.tlsConfig != nil {
		tc := tls.Client(nc, r.p.tlsConfig)
		if err := tc.HandshakeContext(r.ctx); err != nil {
			r.peerCerts = tlsprobe.UnverifiedCerts(err)
			return r.failTLS(err)
		}
		cs := tc.ConnectionState()
		r.tlsState = &cs
		nc = tc
	}

	msg := new(dns.Msg)
	msg.Id = dns.Id()
	msg.RecursionDesired = r.p.recursion
	msg.Question = []dns.Question{r.p.question}
	r.logf("query", "server", addr, "network", network, "tls", r.p.tlsConfig != nil,
		"question", strings.TrimPrefix(r.p.question.String(), ";"), "recursion_desired", r.p.recursion)

	r.enter(phaseRequest)
	resp, _, err := r.p.client.ExchangeWithConnContext(r.ctx, msg, &dns.Conn{Conn: nc})
	if err != nil {
		return r.fail(err)
	}
	r.resp = resp
	r.enter(-1)
	if r.debug {
		r.log.DebugContext(r.ctx, "response", "rcode", dns.RcodeToString[resp.Rcode],
			"authoritative", resp.Authoritative, "truncated", resp.Truncated,
			"answer", rrText(resp.Answer), "authority", rrText(resp.Ns), "additional", rrText(resp.Extra))
	}
	return r.check(resp)
}

// fail turns a failed step into the run's result.
func (r *run) fail(err error) probes.Result {
	ph := r.phase
	where := " while " + phaseDoing[ph] + " (" + phaseNames[ph] + " phase)"
	var resErr *netprobe.ResolveError
	switch ctxErr := r.ctx.Err(); {
	case errors.Is(ctxErr, context.Canceled):
		return probes.Fail(probes.ReasonCanceled, "canceled"+where)
	case errors.Is(ctxErr, context.DeadlineExceeded), netprobe.IsTimeout(err):
		return probes.Fail(probes.ReasonTimeout, "timed out after "+netprobe.Timeout(r.start, r.deadline)+where)
	case errors.As(err, &resErr):
		return probes.Fail(probes.ReasonDNS, "server address: "+resErr.Error())
	}
	if msg, ok := netprobe.ConnMessage(err); ok {
		return probes.Fail(probes.ReasonConnect, msg+where)
	}
	if ph == phaseConnect {
		return probes.Fail(probes.ReasonConnect, err.Error()+where)
	}
	// A response that does not parse, or answers another query.
	return probes.Fail(probes.ReasonProtocol, "bad response: "+err.Error())
}

func (r *run) failTLS(err error) probes.Result {
	if r.ctx.Err() != nil || netprobe.IsTimeout(err) {
		return r.fail(err)
	}
	if msg, ok := tlsprobe.Message(err); ok {
		return probes.Fail(probes.ReasonTLS, msg)
	}
	return probes.Fail(probes.ReasonTLS, "TLS handshake failed: "+err.Error())
}

func (r *run) samples() []probes.Sample {
	s := make([]probes.Sample, 0, int(numPhases)+9)
	for ph := range numPhases {
		s = append(s, family.With(&Duration, r.dur[ph].Seconds(), phaseLabels[ph]))
	}
	var answer, authority, additional, ok float64
	if r.resp != nil {
		answer, authority, additional, ok = float64(len(r.resp.Answer)), float64(len(r.resp.Ns)), float64(len(r.resp.Extra)), 1
	}
	s = append(s, family.Sample(&AnswerRRs, answer), family.Sample(&AuthorityRRs, authority), family.Sample(&AdditionalRRs, additional),
		family.Sample(&QuerySucceeded, ok))
	if r.p.soa && r.resp != nil {
		for _, rr := range r.resp.Answer {
			if soa, ok := rr.(*dns.SOA); ok {
				s = append(s, family.Sample(&Serial, float64(soa.Serial)))
				break
			}
		}
	}
	s = netprobe.AppendSamples(s, r.resolved, r.resolvedOK)
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

func rrText(rrs []dns.RR) string {
	var b strings.Builder
	for i, rr := range rrs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(rr.String())
	}
	return b.String()
}
