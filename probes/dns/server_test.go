package dns

import (
	"crypto/tls"
	"testing"

	"github.com/miekg/dns"

	"github.com/sloagent/sloagent/internal/testutil"
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
	return testutil.ServeDNS(t, network, dns.HandlerFunc(zone), tc)
}
