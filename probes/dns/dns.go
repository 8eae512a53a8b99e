// Package dns probes DNS servers the way blackbox_exporter's dns prober does:
// one query (name, type, class, recursion desired) over UDP, TCP or TLS,
// then checks of the response code and of the records of each section
// against regular expressions, timing each phase and naming one bounded
// reason when a run fails. The wire protocol is github.com/miekg/dns.
package dns

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/family"
	"github.com/sloagent/sloagent/probes/internal/netrun"
)

// prober is what every run of one probe shares, built when the config is
// loaded.
type prober struct {
	*netrun.Target
	transport string // udp or tcp
	client    dns.Client
	question  dns.Question
	recursion bool
	rcodes    []int
	sections  [3]section
	soa       bool
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
	t, err := netrun.NewTarget(host, port, c.transport(), c.IPConfig, &c.TLSConfig, c.DNSOverTLS)
	if err != nil {
		return nil, err
	}
	p := &prober{
		Target:    t,
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
	return p, nil
}

// Probe sends the query and checks the response.
func (p *prober) Probe(ctx context.Context, log *slog.Logger) probes.Result {
	return netrun.Probe(ctx, log, phases, &run{p: p})
}

// run is the state of one run; it lives on one goroutine.
type run struct {
	netrun.Run
	p    *prober
	resp *dns.Msg
}

func (r *run) Do() probes.Result {
	nc, err := r.Connect(r.p.Target, r.p.transport)
	if err != nil {
		return r.fail(err)
	}
	addr, network := nc.RemoteAddr().String(), r.Resolved.Network(r.p.transport)
	defer nc.Close()
	if r.p.TLS != nil {
		tc, err := r.Handshake(nc, r.p.TLS)
		if err != nil {
			res, _ := r.Fail(err, r.Where(""), true)
			return res
		}
		nc = tc
	}

	msg := new(dns.Msg)
	msg.Id = dns.Id()
	msg.RecursionDesired = r.p.recursion
	msg.Question = []dns.Question{r.p.question}
	r.Logf("query", "server", addr, "network", network, "tls", r.p.TLS != nil,
		"question", strings.TrimPrefix(r.p.question.String(), ";"), "recursion_desired", r.p.recursion)

	r.Enter(phaseRequest)
	conn := &dns.Conn{Conn: nc}
	var udp *udpConn
	if uc, ok := nc.(*net.UDPConn); ok {
		// One byte more than an answer may have tells one that has more.
		udp = &udpConn{UDPConn: uc}
		conn.Conn, conn.UDPSize = udp, dns.MinMsgSize+1
	}
	resp, _, err := r.p.client.ExchangeWithConnContext(r.Ctx, msg, conn)
	if udp != nil && udp.filled {
		return probes.Fail(probes.ReasonProtocol, "bad response: the UDP answer is longer than 512 bytes, the most for a query without EDNS0; "+
			"a server with more to say truncates it and sets TC (RFC 1035 4.2.1)")
	}
	if err != nil {
		return r.fail(err)
	}
	r.resp = resp
	r.Enter(-1)
	if r.Debug {
		r.Log.DebugContext(r.Ctx, "response", "rcode", dns.RcodeToString[resp.Rcode],
			"authoritative", resp.Authoritative, "truncated", resp.Truncated,
			"answer", rrText(resp.Answer), "authority", rrText(resp.Ns), "additional", rrText(resp.Extra))
	}
	return r.check(resp)
}

// udpConn notes whether the last datagram read filled the buffer, so was
// cut short.
type udpConn struct {
	*net.UDPConn
	filled bool
}

func (c *udpConn) Read(p []byte) (int, error) {
	n, err := c.UDPConn.Read(p)
	c.filled = n == len(p)
	return n, err
}

// fail turns a failed step into the run's result.
func (r *run) fail(err error) probes.Result {
	where := r.Where("")
	if res, ok := r.Fail(err, where, false); ok {
		if res.Reason == probes.ReasonDNS {
			res.Message = "server address: " + res.Message
		}
		return res
	}
	if r.Phase() == phaseConnect {
		return probes.Fail(probes.ReasonConnect, err.Error()+where)
	}
	// A response that does not parse, or answers another query.
	return probes.Fail(probes.ReasonProtocol, "bad response: "+err.Error())
}

func (r *run) Samples() []probes.Sample {
	s := r.AppendPhases(make([]probes.Sample, 0, phases.Len()+9))
	var answer, authority, additional, ok float64
	if r.resp != nil {
		answer, authority, additional, ok = float64(len(r.resp.Answer)), float64(len(r.resp.Ns)), float64(len(r.resp.Extra)), 1
	}
	s = append(s, family.Sample(&AnswerRRs, answer), family.Sample(&AuthorityRRs, authority), family.Sample(&AdditionalRRs, additional),
		family.Sample(&QuerySucceeded, ok))
	if r.p.soa && r.resp != nil {
		// As blackbox_exporter: for every answered SOA query, the last
		// SOA record of the answer, 0 without one, so that the series
		// stays while a server answers without its zone.
		var serial float64
		for _, rr := range r.resp.Answer {
			if soa, ok := rr.(*dns.SOA); ok {
				serial = float64(soa.Serial)
			}
		}
		s = append(s, family.Sample(&Serial, serial))
	}
	return r.AppendSamples(s)
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
