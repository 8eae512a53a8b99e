package testutil

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// ServeDNS runs handler as a DNS server on a loopback address of network
// (udp, udp6, tcp, tcp6; tcp with tc for DNS over TLS) and returns its
// address. It stops when the test ends.
func ServeDNS(t testing.TB, network string, handler dns.Handler, tc *tls.Config) string {
	t.Helper()
	host := "127.0.0.1:0"
	if network == "udp6" || network == "tcp6" {
		host = "[::1]:0"
	}
	srv := &dns.Server{Handler: handler}
	var addr string
	switch network {
	case "udp", "udp4", "udp6":
		pc, err := net.ListenPacket(network, host)
		if err != nil {
			t.Fatal(err)
		}
		srv.PacketConn, addr = pc, pc.LocalAddr().String()
	default:
		ln, err := net.Listen(network, host)
		if err != nil {
			t.Fatal(err)
		}
		if tc != nil {
			ln = tls.NewListener(ln, tc)
		}
		srv.Listener, addr = ln, ln.Addr().String()
	}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown(); <-done })
	return addr
}

// Zone answers from records written as in a zone file ("www.test. 60 IN
// A 127.0.0.1"): every record of the asked name and type, authoritatively,
// and NXDOMAIN for a name it has no record of.
func Zone(t testing.TB, records ...string) dns.Handler {
	t.Helper()
	var rrs []dns.RR
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("record %q: %v", s, err)
		}
		rrs = append(rrs, rr)
	}
	return dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		m.Authoritative = true
		q := req.Question[0]
		known := false
		for _, rr := range rrs {
			h := rr.Header()
			if !strings.EqualFold(h.Name, q.Name) {
				continue
			}
			known = true
			if h.Rrtype == q.Qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
		if !known {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})
}

// Resolver is a resolver that asks only the server at addr, over UDP, so a
// test's names do not depend on /etc/hosts or the machine's resolver.
func Resolver(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}
