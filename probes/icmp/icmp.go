// Package icmp probes hosts with ICMP echo requests, as blackbox_exporter's
// icmp prober does, sending several per run to measure round trips and
// loss, over IPv4 or IPv6. It uses an unprivileged datagram socket where
// the system allows one (Linux's net.ipv4.ping_group_range) and a raw
// socket otherwise, and says which permission is missing when neither is
// allowed.
package icmp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/netrun"
)

// ReasonPacketLoss is this kind's own reason: more requests went
// unanswered than max_packet_loss allows (but some were answered). A run
// the agent may not send ICMP for fails with probes.ReasonConfig, its
// message naming the missing permission.
const ReasonPacketLoss = "packet_loss"

// payloadText fills the data of every request.
const payloadText = "sloagent icmp probe"

// prober is what every run of one probe shares, built when the config is
// loaded.
type prober struct {
	host         string
	ip           netprobe.IPConfig
	src          net.IP
	payload      []byte
	ttl          int
	dontFragment bool
	packets      int
	interval     time.Duration
	maxLoss      float64 // -1: fail only when nothing is answered

	// noDatagram remembers, per family (4, 6), that this process may
	// not open a datagram socket.
	noDatagram [2]atomic.Bool
}

// New returns a prober for target, a host name or an address. timeout is
// the probe's; the requests must all go out well within it.
func New(target string, c *Config, timeout time.Duration) (probes.Prober, error) {
	if c == nil {
		c = &Config{}
	}
	host, err := parseTarget(target)
	if err != nil {
		return nil, err
	}
	if err := c.CheckTimeout(timeout); err != nil {
		return nil, err
	}
	if c.DontFragment && !dontFragmentSupported {
		return nil, errors.New("dont_fragment is supported on Linux only")
	}
	p := &prober{
		host:         host,
		ip:           c.IPConfig,
		src:          c.SourceIP(),
		ttl:          c.ttl(),
		dontFragment: c.DontFragment,
		packets:      c.packets(),
		interval:     c.interval(),
		maxLoss:      -1,
	}
	if c.MaxPacketLoss != nil {
		p.maxLoss = *c.MaxPacketLoss
	}
	if c.PayloadSize == 0 {
		p.payload = []byte(payloadText)
	} else {
		p.payload = make([]byte, c.PayloadSize)
		copy(p.payload, payloadText)
	}
	return p, nil
}

// run is the state of one run; it lives on one goroutine.
type run struct {
	netrun.Run
	p        *prober
	setup    time.Duration
	sent     int
	received int
	stats    rttStats
	hopLimit int // of the first reply; -1 if unknown
}

// Probe sends the echo requests and waits for their replies.
func (p *prober) Probe(ctx context.Context, log *slog.Logger) probes.Result {
	return netrun.Probe(ctx, log, nil, &run{p: p, hopLimit: -1})
}

func (r *run) LogArgs() []any {
	return []any{"sent", r.sent, "received", r.received, "rtt_min", r.stats.min, "rtt_mean", r.stats.mean, "rtt_max", r.stats.max}
}

func (r *run) Do() probes.Result {
	if err := r.Resolve(&r.p.ip, r.p.host); err != nil {
		if r.Ctx.Err() != nil {
			return r.ctxFail("resolving the name")
		}
		return probes.Fail(probes.ReasonDNS, err.Error())
	}
	dst := r.Resolved.IP
	v6 := r.Resolved.Proto() == 6

	setupStart := time.Now()
	c, err := r.p.open(v6, r.p.src)
	r.setup = time.Since(setupStart)
	if err != nil {
		var se *socketError
		if errors.As(err, &se) && se.permission() {
			return probes.Fail(probes.ReasonConfig, err.Error())
		}
		return probes.Fail(probes.ReasonInternal, "opening the ICMP socket: "+err.Error())
	}
	defer c.Close()
	r.Logf("socket", "datagram", c.datagram, "ipv6", v6, "ttl", r.p.ttl, "dont_fragment", r.p.dontFragment)
	stop := context.AfterFunc(r.Ctx, func() { c.pc.SetReadDeadline(time.Now()) })
	defer stop()
	if err := r.exchange(c, dst, v6); err != nil {
		return *err
	}
	return r.verdict(dst)
}

// exchange sends the requests at their interval and reads replies until
// every request is answered or the run's deadline passes.
func (r *run) exchange(c *conn, dst net.IP, v6 bool) *probes.Result {
	n := r.p.packets
	id := rand.IntN(1 << 16)
	seq0 := rand.IntN(1 << 16)
	sentAt := make([]time.Time, n)
	answered := make([]bool, n)
	rtts := make([]time.Duration, 0, n)

	var to net.Addr = &net.IPAddr{IP: dst}
	if c.datagram {
		to = &net.UDPAddr{IP: dst}
	}
	reqType, replyType, proto := icmp.Type(ipv4.ICMPTypeEcho), icmp.Type(ipv4.ICMPTypeEchoReply), 1
	if v6 {
		reqType, replyType, proto = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply, 58
	}
	deadline := r.Deadline
	if deadline.IsZero() {
		deadline = time.Now().Add(time.Minute)
	}
	buf := make([]byte, len(r.p.payload)+512)
	nextAt := time.Now()
	for {
		if r.sent < n && !time.Now().Before(nextAt) {
			i := r.sent
			msg := icmp.Message{Type: reqType, Body: &icmp.Echo{ID: id, Seq: (seq0 + i) & 0xffff, Data: r.p.payload}}
			wb, err := msg.Marshal(nil)
			if err != nil {
				res := probes.Fail(probes.ReasonInternal, "building the echo request: "+err.Error())
				return &res
			}
			sentAt[i] = time.Now()
			if _, err := c.pc.WriteTo(wb, to); err != nil {
				if r.Ctx.Err() != nil {
					res := r.ctxFail("sending echo requests")
					return &res
				}
				msg := "sending an echo request to " + dst.String() + ": " + err.Error()
				if m, ok := netprobe.ConnMessage(err); ok {
					msg = "sending an echo request to " + dst.String() + ": " + m
				}
				res := probes.Fail(probes.ReasonConnect, msg)
				return &res
			}
			r.sent++
			nextAt = sentAt[i].Add(r.p.interval)
			r.Logf("echo request", "seq", (seq0+i)&0xffff, "bytes", len(wb))
		}
		if r.received == n {
			break
		}
		wait := deadline
		if r.sent < n && nextAt.Before(wait) {
			wait = nextAt
		}
		c.pc.SetReadDeadline(wait)
		nr, hop, peer, err := c.read(buf)
		now := time.Now()
		if err != nil {
			if r.Ctx.Err() != nil || !now.Before(deadline) {
				break
			}
			if netprobe.IsTimeout(err) {
				continue // time to send the next request
			}
			// An ICMP error queued on the socket, or a read
			// failure: the run goes on to its deadline.
			r.Logf("read error", "err", err)
			continue
		}
		if !peerIs(peer, dst) {
			continue
		}
		m, err := icmp.ParseMessage(proto, buf[:nr])
		if err != nil || m.Type != replyType {
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		// A datagram socket's replies carry the kernel's identifier
		// and are already only this socket's.
		if !ok || (!c.datagram && echo.ID != id) || !bytes.Equal(echo.Data, r.p.payload) {
			continue
		}
		i := (echo.Seq - seq0) & 0xffff
		if i >= r.sent || answered[i] {
			continue // not ours, or a duplicate
		}
		answered[i] = true
		rtt := now.Sub(sentAt[i])
		rtts = append(rtts, rtt)
		r.received++
		if r.hopLimit < 0 && hop >= 0 {
			r.hopLimit = hop
		}
		r.Logf("echo reply", "seq", echo.Seq, "rtt", rtt, "hop_limit", hop)
	}
	r.stats = statsOf(rtts)
	return nil
}

// read reads one message and the hop limit it arrived with (-1 if unknown).
func (c *conn) read(b []byte) (int, int, net.Addr, error) {
	if c.p6 != nil {
		n, cm, peer, err := c.p6.ReadFrom(b)
		if cm != nil {
			return n, cm.HopLimit, peer, err
		}
		return n, -1, peer, err
	}
	n, cm, peer, err := c.p4.ReadFrom(b)
	if cm != nil {
		return n, cm.TTL, peer, err
	}
	return n, -1, peer, err
}

func peerIs(peer net.Addr, ip net.IP) bool {
	switch a := peer.(type) {
	case *net.IPAddr:
		return a.IP.Equal(ip)
	case *net.UDPAddr:
		return a.IP.Equal(ip)
	}
	return false
}

func (r *run) loss() float64 {
	if r.sent == 0 {
		return 0
	}
	return 1 - float64(r.received)/float64(r.sent)
}

func (r *run) verdict(dst net.IP) probes.Result {
	switch {
	case r.received == 0 && r.Ctx.Err() == context.Canceled:
		return r.ctxFail("waiting for echo replies")
	case r.received == 0:
		return probes.Fail(probes.ReasonTimeout, fmt.Sprintf("no echo reply from %s to %s within %s",
			dst, requests(r.sent), netprobe.Timeout(r.Start, r.Deadline)))
	case r.p.maxLoss >= 0 && r.loss() > r.p.maxLoss:
		return probes.Fail(ReasonPacketLoss, fmt.Sprintf("%d of %s to %s unanswered (%s lost, more than max_packet_loss %s)",
			r.sent-r.received, requests(r.sent), dst, percent(r.loss()), percent(r.p.maxLoss)))
	}
	return probes.Result{Success: true, Message: fmt.Sprintf("%d of %s to %s answered, mean round trip %s",
		r.received, requests(r.sent), dst, r.stats.mean.Round(time.Microsecond))}
}

func (r *run) ctxFail(doing string) probes.Result { return r.Ended(" while " + doing) }

func requests(n int) string {
	if n == 1 {
		return "1 echo request"
	}
	return strconv.Itoa(n) + " echo requests"
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" }

// rttStats summarises a run's round trips; all zero without any.
type rttStats struct {
	min, max, mean, stddev time.Duration
}

func statsOf(rtts []time.Duration) rttStats {
	if len(rtts) == 0 {
		return rttStats{}
	}
	s := rttStats{min: rtts[0], max: rtts[0]}
	var sum float64
	for _, d := range rtts {
		s.min, s.max = min(s.min, d), max(s.max, d)
		sum += float64(d)
	}
	mean := sum / float64(len(rtts))
	var sq float64
	for _, d := range rtts {
		sq += (float64(d) - mean) * (float64(d) - mean)
	}
	s.mean = time.Duration(mean)
	s.stddev = time.Duration(math.Sqrt(sq / float64(len(rtts))))
	return s
}
