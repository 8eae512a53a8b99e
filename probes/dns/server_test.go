package dns

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/miekg/dns"
)

// zone answers for example.test the way an authoritative server would.
func zone(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	q := req.Question[0]
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		return r
	}
	switch q.Name {
	case "example.test.":
		switch q.Qtype {
		case dns.TypeA:
			m.Answer = []dns.RR{rr("example.test. 300 IN A 192.0.2.1"), rr("example.test. 300 IN A 192.0.2.2")}
		case dns.TypeAAAA:
			m.Answer = []dns.RR{rr("example.test. 300 IN AAAA 2001:db8::1")}
		case dns.TypeMX:
			m.Answer = []dns.RR{rr("example.test. 300 IN MX 10 mail.example.test.")}
		case dns.TypeSOA:
			m.Answer = []dns.RR{rr("example.test. 300 IN SOA ns1.example.test. admin.example.test. 2026112501 7200 900 1209600 300")}
		}
		m.Ns = []dns.RR{rr("example.test. 300 IN NS ns1.example.test.")}
		m.Extra = []dns.RR{rr("ns1.example.test. 300 IN A 192.0.2.53")}
	case "rd.example.test.":
		flag := "rd=false"
		if req.RecursionDesired {
			flag = "rd=true"
		}
		m.Answer = []dns.RR{rr(`rd.example.test. 60 IN TXT "` + flag + `"`)}
	case "slow.example.test.":
		return // never answers
	case "garbage.example.test.":
		w.Write([]byte{0x01, 0x02, 0x03})
		return
	default:
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{rr("example.test. 300 IN SOA ns1.example.test. admin.example.test. 2026112501 7200 900 1209600 300")}
	}
	w.WriteMsg(m)
}

// serve starts the zone's server on a loopback address of network (udp,
// udp6, tcp, or tcp with tc for DNS over TLS) and returns its address.
func serve(t testing.TB, network string, tc *tls.Config) string {
	t.Helper()
	host := "127.0.0.1:0"
	if network == "udp6" || network == "tcp6" {
		host = "[::1]:0"
	}
	srv := &dns.Server{Handler: dns.HandlerFunc(zone)}
	var addr string
	switch network {
	case "udp", "udp6":
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
	go func() { defer close(done); srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { srv.Shutdown(); <-done })
	return addr
}
