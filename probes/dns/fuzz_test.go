package dns

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// FuzzCheck checks whatever a server answers, as a run does once the
// response parses: each outcome has a reason and a bounded message.
func FuzzCheck(f *testing.F) {
	pr, err := New("127.0.0.1:53", probetest.Section[Config](f, `
query_name: example.test
valid_rcodes: [NOERROR, NXDOMAIN]
validate_answer_rrs: {fail_if_matches_regexp: [evil], fail_if_all_match_regexp: [x], fail_if_not_matches_regexp: ['^example']}
validate_authority_rrs: {fail_if_none_matches_regexp: [NS]}
validate_additional_rrs: {fail_if_not_matches_regexp: ['\tA\t']}
`))
	if err != nil {
		f.Fatal(err)
	}
	p := pr.(*prober)
	for _, rrs := range [][]string{
		{"example.test. 300 IN A 192.0.2.1", "example.test. 300 IN NS ns1.example.test.", "ns1.example.test. 300 IN A 192.0.2.53"},
		{"example.test. 300 IN SOA ns1.example.test. admin.example.test. 2026112501 7200 900 1209600 300"},
		{`example.test. 60 IN TXT "evil" "\255\000"`, "example.test. 60 IN MX 10 mail.example.test."},
	} {
		m := new(dns.Msg)
		m.SetQuestion("example.test.", dns.TypeA)
		m.Response = true
		for i, s := range rrs {
			rr, err := dns.NewRR(s)
			if err != nil {
				f.Fatal(err)
			}
			switch i {
			case 0:
				m.Answer = append(m.Answer, rr)
			case 1:
				m.Ns = append(m.Ns, rr)
			default:
				m.Extra = append(m.Extra, rr)
			}
		}
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil {
			return // the run fails with "bad response"
		}
		res := (&run{p: p}).check(m)
		if !res.Success && (res.Reason != probes.ReasonStatusCode && res.Reason != probes.ReasonBodyMismatch || res.Message == "") {
			t.Fatalf("failure %q: %q", res.Reason, res.Message)
		}
		if len(res.Message) > 4<<10 {
			t.Fatalf("a message of %d bytes", len(res.Message))
		}
		_ = rrText(m.Answer)
	})
}
