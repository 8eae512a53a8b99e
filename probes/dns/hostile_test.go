package dns

import (
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// Servers that answer what a query did not ask for, or more than it needs.

// A record of tens of kilobytes is quoted in part by the check that
// failed on it.
func TestHugeRecordInCheckMessage(t *testing.T) {
	addr := testutil.ServeDNS(t, "tcp", dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		txt := &dns.TXT{Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}}
		for range 200 {
			txt.Txt = append(txt.Txt, strings.Repeat("\xff", 250))
		}
		m.Answer = []dns.RR{txt}
		w.WriteMsg(m)
	}), nil)
	for _, check := range []string{"fail_if_matches_regexp: [TXT]", "fail_if_not_matches_regexp: ['^x']"} {
		res := probe(t, addr, "{query_name: example.test, query_type: TXT, transport_protocol: tcp, validate_answer_rrs: {"+check+"}}")
		probetest.WantFail(t, res, probes.ReasonBodyMismatch, `answer record "example.test.\t60\tIN\tTXT\t`)
		probetest.WantFail(t, res, probes.ReasonBodyMismatch, " bytes cut] ")
		if len(res.Message) > 2<<10 {
			t.Errorf("%s: the message is %d bytes long", check, len(res.Message))
		}
	}
}

// A UDP answer to a query without EDNS0 may be at most 512 bytes (RFC 1035
// 4.2.1): a server with more to say truncates it and sets TC. One that
// sends more fails the run with a message that says so, not with what
// parsing the first 512 bytes stumbled on.
func TestUDPAnswerOver512Bytes(t *testing.T) {
	for _, size := range []int{512, 513, 1710} {
		addr := testutil.ServeDNS(t, "udp", dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			txt := &dns.TXT{Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}}
			m.Answer = []dns.RR{txt}
			for m.Len() < size {
				txt.Txt = append(txt.Txt, strings.Repeat("a", min(255, max(0, size-m.Len()-1))))
			}
			b, err := m.Pack()
			if err != nil || len(b) != size {
				t.Errorf("packed %d bytes, want %d: %v", len(b), size, err)
			}
			w.Write(b)
		}), nil)
		res := probe(t, addr, "{query_name: example.test, query_type: TXT}")
		if size == 512 {
			if !res.Success {
				t.Errorf("%d bytes: %+v", size, res)
			}
			continue
		}
		probetest.WantFail(t, res, probes.ReasonProtocol,
			"bad response: the UDP answer is longer than 512 bytes, the most for a query without EDNS0; a server with more to say truncates it and sets TC (RFC 1035 4.2.1)")
	}
}
