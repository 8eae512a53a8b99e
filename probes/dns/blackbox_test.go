package dns

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// Side by side with the blackbox_exporter Debian ships (0.23): the same
// local server, the same dns section, the same values.

// comparedGauges are the values a dashboard reads off both, besides
// probe_success and the phases: each reported by both or by neither.
var comparedGauges = []string{
	"probe_dns_answer_rrs", "probe_dns_authority_rrs", "probe_dns_additional_rrs",
	"probe_dns_query_succeeded", "probe_dns_serial", "probe_ip_protocol",
}

// sideZone answers for side.test; each name shows one way a server
// answers.
func sideZone(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	q := req.Question[0]
	rrs := func(ss ...string) []dns.RR {
		var out []dns.RR
		for _, s := range ss {
			r, err := dns.NewRR(s)
			if err != nil {
				panic(err)
			}
			out = append(out, r)
		}
		return out
	}
	soa := "side.test. 300 IN SOA ns1.side.test. admin.side.test. 2026120501 7200 900 1209600 300"
	_, overUDP := w.RemoteAddr().(*net.UDPAddr)
	switch {
	case q.Qclass == dns.ClassCHAOS:
		m.Answer = rrs(`version.side.test. 0 CH TXT "side 1.0"`)
	case q.Name == "side.test.":
		switch q.Qtype {
		case dns.TypeA:
			m.Answer = rrs("side.test. 300 IN A 192.0.2.1", "side.test. 300 IN A 192.0.2.2")
		case dns.TypeAAAA:
			m.Answer = rrs("side.test. 300 IN AAAA 2001:db8::1")
		case dns.TypeMX:
			m.Answer = rrs("side.test. 300 IN MX 10 mail.side.test.")
			m.Extra = rrs("mail.side.test. 300 IN A 192.0.2.25")
		case dns.TypeSOA:
			m.Answer = rrs(soa)
		case dns.TypeTXT:
			m.Answer = rrs(`side.test. 300 IN TXT "v=spf1 -all"`, `side.test. 300 IN TXT "site-verification=abc"`)
		}
		m.Ns = rrs("side.test. 300 IN NS ns1.side.test.")
		m.Extra = append(m.Extra, rrs("ns1.side.test. 300 IN A 192.0.2.53")...)
	case q.Name == "www.side.test.":
		m.Answer = rrs("www.side.test. 300 IN CNAME side.test.")
		if q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, rrs("side.test. 300 IN A 192.0.2.1")...)
		}
	case q.Name == "empty.side.test.":
		// NOERROR with nothing in any section.
	case q.Name == "servfail.side.test.":
		m.Rcode, m.Authoritative = dns.RcodeServerFailure, false
	case q.Name == "recursive.side.test.":
		if !req.RecursionDesired {
			m.Rcode = dns.RcodeRefused
			break
		}
		m.Answer = rrs(`recursive.side.test. 60 IN TXT "rd"`)
	case q.Name == "two-soa.side.test.":
		m.Answer = rrs(strings.Replace(soa, "2026120501", "1", 1), strings.Replace(soa, "2026120501", "2", 1))
	case q.Name == "big.side.test.":
		if overUDP {
			// What a server does with more than 512 bytes to say.
			m.Truncated = true
			m.Answer = rrs(`big.side.test. 60 IN TXT "part 1"`)
			break
		}
		m.Answer = rrs(`big.side.test. 60 IN TXT "part 1"`, `big.side.test. 60 IN TXT "part 2"`)
	case q.Name == "too-big.side.test.":
		txt := &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}}
		for range 6 {
			txt.Txt = append(txt.Txt, strings.Repeat("a", 200))
		}
		m.Answer = []dns.RR{txt}
	case q.Name == "wrong-id.side.test.":
		m.Answer = rrs("wrong-id.side.test. 60 IN A 192.0.2.1")
		m.Id++
	case q.Name == "silent.side.test.":
		return
	default:
		m.Rcode = dns.RcodeNameError
		m.Ns = rrs(soa)
	}
	w.WriteMsg(m)
}

func TestSameValuesAsBlackboxExporter(t *testing.T) {
	pki := testutil.NewCerts(t)
	servers := map[string]string{
		"udp":  testutil.ServeDNS(t, "udp", dns.HandlerFunc(sideZone), nil),
		"tcp":  testutil.ServeDNS(t, "tcp", dns.HandlerFunc(sideZone), nil),
		"udp6": testutil.ServeDNS(t, "udp6", dns.HandlerFunc(sideZone), nil),
		"tls":  testutil.ServeDNS(t, "tcp", dns.HandlerFunc(sideZone), &tls.Config{Certificates: []tls.Certificate{pki.Server(t)}}),
	}
	const short = 300 * time.Millisecond
	a := "query_name: side.test, query_type: A"
	cases := []struct {
		name, server, dns string
		success           bool
		timeout           time.Duration
	}{
		{"a", "udp", a, true, 0},
		{"aaaa", "udp", "query_name: side.test, query_type: AAAA", true, 0},
		{"mx", "udp", "query_name: side.test, query_type: MX", true, 0},
		{"soa", "udp", "query_name: side.test, query_type: SOA", true, 0},
		{"txt", "udp", "query_name: side.test, query_type: TXT", true, 0},
		{"cname", "udp", "query_name: www.side.test, query_type: CNAME", true, 0},
		{"cname_chain", "udp", "query_name: www.side.test, query_type: A", true, 0},
		{"any", "udp", "query_name: side.test", true, 0},
		{"a_tcp", "tcp", a + ", transport_protocol: tcp", true, 0},
		{"a_udp6", "udp6", a, true, 0},
		{"a_dot", "tls", a + ", transport_protocol: tcp, dns_over_tls: true, tls_config: {ca_file: " + pki.CAFile + "}", true, 0},

		{"nxdomain", "udp", "query_name: missing.side.test, query_type: A", false, 0},
		{"nxdomain_valid", "udp", "query_name: missing.side.test, query_type: A, valid_rcodes: [NXDOMAIN]", true, 0},
		{"nxdomain_tcp", "tcp", "query_name: missing.side.test, transport_protocol: tcp, valid_rcodes: [NOERROR, NXDOMAIN]", true, 0},
		{"servfail", "udp", "query_name: servfail.side.test, query_type: A", false, 0},
		{"servfail_valid", "udp", "query_name: servfail.side.test, query_type: A, valid_rcodes: [SERVFAIL]", true, 0},
		{"noerror_not_valid", "udp", a + ", valid_rcodes: [NXDOMAIN, SERVFAIL]", false, 0},

		{"matches", "udp", a + `, validate_answer_rrs: {fail_if_matches_regexp: ['192\.0\.2\.2$']}`, false, 0},
		{"matches_none", "udp", a + `, validate_answer_rrs: {fail_if_matches_regexp: ['192\.0\.2\.9$']}`, true, 0},
		{"all_match_every", "udp", a + `, validate_answer_rrs: {fail_if_all_match_regexp: ['IN\tA\t192\.0\.2\.']}`, true, 0},
		{"all_match_some", "udp", a + `, validate_answer_rrs: {fail_if_all_match_regexp: ['192\.0\.2\.1$']}`, false, 0},
		{"all_match_two", "udp", a + `, validate_answer_rrs: {fail_if_all_match_regexp: ['IN\tA\t', '192\.0\.2\.2$']}`, false, 0},
		{"not_matches_some", "udp", a + `, validate_answer_rrs: {fail_if_not_matches_regexp: ['192\.0\.2\.1$']}`, false, 0},
		{"not_matches_every", "udp", a + `, validate_answer_rrs: {fail_if_not_matches_regexp: ['IN\tA\t']}`, true, 0},
		{"none_matches", "udp", a + `, validate_answer_rrs: {fail_if_none_matches_regexp: ['192\.0\.2\.9$', '10\.0\.0\.1$']}`, false, 0},
		{"none_matches_one", "udp", a + `, validate_answer_rrs: {fail_if_none_matches_regexp: ['192\.0\.2\.9$', '192\.0\.2\.2$']}`, true, 0},
		{"authority_not_matches", "udp", a + `, validate_authority_rrs: {fail_if_not_matches_regexp: ['NS\tns2\.']}`, false, 0},
		{"authority_none_matches", "udp", a + `, validate_authority_rrs: {fail_if_none_matches_regexp: ['NS\tns1\.']}`, true, 0},
		{"additional_matches", "udp", a + `, validate_additional_rrs: {fail_if_matches_regexp: ['^ns1\.']}`, false, 0},
		{"additional_all_match", "udp", `query_name: side.test, query_type: MX, validate_additional_rrs: {fail_if_all_match_regexp: ['IN\tA\t192\.0\.2\.']}`, true, 0},
		{"txt_none_matches", "udp", "query_name: side.test, query_type: TXT, validate_answer_rrs: {fail_if_none_matches_regexp: ['site-verification=abc']}", true, 0},
		{"txt_matches", "udp", `query_name: side.test, query_type: TXT, validate_answer_rrs: {fail_if_matches_regexp: ['v=spf1 \+all']}`, true, 0},

		// Empty sections: what blackbox_exporter does with no records.
		{"empty_matches", "udp", "query_name: empty.side.test, validate_answer_rrs: {fail_if_matches_regexp: [x]}", true, 0},
		{"empty_all_match", "udp", "query_name: empty.side.test, validate_answer_rrs: {fail_if_all_match_regexp: [x]}", true, 0},
		{"empty_not_matches", "udp", "query_name: empty.side.test, validate_answer_rrs: {fail_if_not_matches_regexp: [x]}", false, 0},
		{"empty_none_matches", "udp", "query_name: empty.side.test, validate_answer_rrs: {fail_if_none_matches_regexp: [x]}", false, 0},
		{"empty_authority_all_match", "udp", "query_name: empty.side.test, validate_authority_rrs: {fail_if_all_match_regexp: [x]}", true, 0},
		{"empty_authority_not_matches", "udp", "query_name: empty.side.test, validate_authority_rrs: {fail_if_not_matches_regexp: [x]}", false, 0},
		{"empty_additional_none_matches", "udp", "query_name: empty.side.test, validate_additional_rrs: {fail_if_none_matches_regexp: [x]}", false, 0},
		{"empty_additional_matches", "udp", "query_name: empty.side.test, validate_additional_rrs: {fail_if_matches_regexp: [x], fail_if_all_match_regexp: [x]}", true, 0},
		{"nxdomain_answer_empty", "udp", `query_name: missing.side.test, valid_rcodes: [NXDOMAIN], validate_answer_rrs: {fail_if_all_match_regexp: [x]}, validate_authority_rrs: {fail_if_not_matches_regexp: ['IN\tSOA\t']}`, true, 0},

		{"recursion", "udp", "query_name: recursive.side.test, query_type: TXT", true, 0},
		{"no_recursion", "udp", "query_name: recursive.side.test, query_type: TXT, recursion_desired: false", false, 0},
		{"no_recursion_tcp", "tcp", "query_name: recursive.side.test, query_type: TXT, recursion_desired: false, transport_protocol: tcp, valid_rcodes: [REFUSED]", true, 0},
		{"chaos", "udp", `query_name: version.side.test, query_type: TXT, query_class: CH, validate_answer_rrs: {fail_if_not_matches_regexp: ['CH\tTXT\t"side']}`, true, 0},
		{"chaos_tcp", "tcp", "query_name: version.side.test, query_type: TXT, query_class: CH, transport_protocol: tcp", true, 0},

		{"soa_two", "udp", "query_name: two-soa.side.test, query_type: SOA", true, 0},
		{"soa_nxdomain", "udp", "query_name: missing.side.test, query_type: SOA, valid_rcodes: [NXDOMAIN]", true, 0},
		{"soa_empty", "udp", "query_name: empty.side.test, query_type: SOA", true, 0},
		{"soa_tcp", "tcp", "query_name: side.test, query_type: SOA, transport_protocol: tcp", true, 0},

		{"truncated", "udp", "query_name: big.side.test, query_type: TXT", true, 0},
		{"truncated_check", "udp", `query_name: big.side.test, query_type: TXT, validate_answer_rrs: {fail_if_none_matches_regexp: ['"part 2"']}`, false, 0},
		{"not_truncated_tcp", "tcp", `query_name: big.side.test, query_type: TXT, transport_protocol: tcp, validate_answer_rrs: {fail_if_none_matches_regexp: ['"part 2"']}`, true, 0},
		{"over_512", "udp", "query_name: too-big.side.test, query_type: TXT", false, 0},
		{"over_512_tcp", "tcp", "query_name: too-big.side.test, query_type: TXT, transport_protocol: tcp", true, 0},

		{"wrong_id", "udp", "query_name: wrong-id.side.test, query_type: A", false, short},
		{"wrong_id_tcp", "tcp", "query_name: wrong-id.side.test, query_type: A, transport_protocol: tcp", false, short},
		{"silent", "udp", "query_name: silent.side.test, query_type: A", false, short},
		{"silent_tcp", "tcp", "query_name: silent.side.test, query_type: A, transport_protocol: tcp", false, short},
	}
	var modules probetest.Modules
	for _, c := range cases {
		modules.Add(c.name, "dns", cmp.Or(c.timeout, timeout).String(), c.dns)
	}
	// Names of rcodes in any case: blackbox_exporter knows them in
	// capitals only, and fails every run of one written otherwise.
	lower := "query_name: missing.side.test, query_type: A, valid_rcodes: [nxdomain]"
	modules.Add("lowercase", "dns", timeout.String(), lower)
	bb := probetest.StartBlackbox(t, modules.String())

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := servers[c.server]
			theirs := bb.Families(t, c.name, target)
			ours := probetest.Probe(t, &Kind, target, probetest.Section[Config](t, "{"+c.dns+"}"), cmp.Or(c.timeout, timeout))
			why := fmt.Sprintf("(ours: %s: %s)", ours.Reason, ours.Message)

			if v, _ := probetest.Gauge(theirs, "probe_success"); v != b2f(c.success) {
				t.Errorf("blackbox_exporter's probe_success %v, want %v", v, b2f(c.success))
			}
			if ours.Success != c.success {
				t.Errorf("our probe_success %v, want %v %s", b2f(ours.Success), b2f(c.success), why)
			}
			for _, name := range comparedGauges {
				want, inTheirs := probetest.Gauge(theirs, name)
				got, inOurs := probetest.Find(ours, name)
				switch {
				case inTheirs != inOurs:
					t.Errorf("%s: ours %v (reported %v), blackbox_exporter's %v (reported %v) %s", name, got, inOurs, want, inTheirs, why)
				case got != want:
					t.Errorf("%s: ours %v, blackbox_exporter's %v %s", name, got, want, why)
				}
			}

			theirPhases := probetest.LabelValues(theirs, Duration.Name, "phase")
			ourPhases := probetest.ResultLabelValues(ours, Duration.Name, "phase")
			if !slices.Equal(theirPhases, ourPhases) {
				t.Errorf("phases: ours %v, blackbox_exporter's %v", ourPhases, theirPhases)
			}
		})
	}

	theirs := bb.Probe(t, "lowercase", servers["udp"])
	ours := probetest.Probe(t, &Kind, servers["udp"], probetest.Section[Config](t, "{"+lower+"}"), timeout)
	if theirs["probe_success"] != 0 || !ours.Success {
		t.Errorf("lowercase rcode: blackbox_exporter's probe_success %v, want 0; ours %v, want 1 (%s)", theirs["probe_success"], b2f(ours.Success), ours.Message)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
