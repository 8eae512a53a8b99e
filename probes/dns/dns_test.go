package dns

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

const timeout = 2 * time.Second

func probe(t *testing.T, target string, src string) probes.Result {
	t.Helper()
	return probetest.Probe(t, &Kind, target, probetest.Section[Config](t, src), timeout)
}

func TestQueryUDPAndTCP(t *testing.T) {
	for _, network := range []string{"udp", "tcp", "udp6", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			addr := serve(t, network, nil)
			proto := strings.TrimSuffix(strings.TrimSuffix(network, "6"), "4")
			res := probe(t, addr, "{query_name: example.test, query_type: A, transport_protocol: "+proto+"}")
			probetest.WantSuccess(t, res)
			for name, want := range map[string]float64{
				"probe_dns_answer_rrs": 2, "probe_dns_authority_rrs": 1, "probe_dns_additional_rrs": 1,
				"probe_dns_query_succeeded": 1,
			} {
				if got := probetest.Sample(t, res, name); got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			wantProto := 4.0
			if strings.HasSuffix(network, "6") {
				wantProto = 6
			}
			if got := probetest.Sample(t, res, "probe_ip_protocol"); got != wantProto {
				t.Errorf("probe_ip_protocol = %v, want %v", got, wantProto)
			}
			if got := probetest.Sample(t, res, "probe_dns_duration_seconds", "request"); got <= 0 {
				t.Errorf("request phase = %v", got)
			}
			if res.Message != "NOERROR, 2 answer records" {
				t.Errorf("message %q", res.Message)
			}
		})
	}
}

func TestRcode(t *testing.T) {
	addr := serve(t, "udp", nil)
	res := probe(t, addr, "{query_name: missing.example.test, query_type: A}")
	probetest.WantFail(t, res, probes.ReasonStatusCode, "rcode NXDOMAIN is not one of valid_rcodes NOERROR")
	if got := probetest.Sample(t, res, "probe_dns_query_succeeded"); got != 1 {
		t.Errorf("probe_dns_query_succeeded = %v, want 1: the server answered", got)
	}
	probetest.WantSuccess(t, probe(t, addr, "{query_name: missing.example.test, valid_rcodes: [NXDOMAIN]}"))
}

func TestSOASerial(t *testing.T) {
	addr := serve(t, "udp", nil)
	res := probe(t, addr, "{query_name: example.test, query_type: SOA}")
	probetest.WantSuccess(t, res)
	if got := probetest.Sample(t, res, "probe_dns_serial"); got != 2026112501 {
		t.Errorf("probe_dns_serial = %v", got)
	}
	// The zone's SOA record in the authority section is not an answer.
	res = probe(t, addr, "{query_name: missing.example.test, query_type: SOA, valid_rcodes: [NXDOMAIN]}")
	if got, ok := probetest.Find(res, "probe_dns_serial"); !ok || got != 0 {
		t.Errorf("probe_dns_serial = %v (reported %v) without an SOA answer, want 0", got, ok)
	}
	if _, ok := probetest.Find(probe(t, addr, "{query_name: example.test, query_type: A}"), "probe_dns_serial"); ok {
		t.Error("probe_dns_serial for an A query")
	}
}

func TestRecursionDesired(t *testing.T) {
	addr := serve(t, "udp", nil)
	probetest.WantSuccess(t, probe(t, addr, `
query_name: rd.example.test
query_type: TXT
validate_answer_rrs: {fail_if_not_matches_regexp: ['"rd=true"']}`))
	probetest.WantSuccess(t, probe(t, addr, `
query_name: rd.example.test
query_type: TXT
recursion_desired: false
validate_answer_rrs: {fail_if_not_matches_regexp: ['"rd=false"']}`))
}

// TestValidateRRs follows blackbox_exporter's documented meaning of each
// check, on each section.
func TestValidateRRs(t *testing.T) {
	addr := serve(t, "udp", nil)
	for _, tc := range []struct{ checks, fail string }{
		{"validate_answer_rrs: {fail_if_matches_regexp: ['192\\.0\\.2\\.2']}",
			`answer record "example.test.\t300\tIN\tA\t192.0.2.2" matched fail_if_matches_regexp "192\\.0\\.2\\.2"`},
		{"validate_answer_rrs: {fail_if_matches_regexp: ['192\\.0\\.2\\.9']}", ""},
		{"validate_answer_rrs: {fail_if_all_match_regexp: ['IN\\tA\\t192\\.0\\.2\\.']}", ""},
		{"validate_answer_rrs: {fail_if_all_match_regexp: ['192\\.0\\.2\\.1$']}",
			`answer record "example.test.\t300\tIN\tA\t192.0.2.2" did not match fail_if_all_match_regexp "192\\.0\\.2\\.1$", which every record must match`},
		{"validate_answer_rrs: {fail_if_not_matches_regexp: ['192\\.0\\.2\\.1$']}",
			`answer record "example.test.\t300\tIN\tA\t192.0.2.2" did not match fail_if_not_matches_regexp "192\\.0\\.2\\.1$"`},
		{"validate_answer_rrs: {fail_if_not_matches_regexp: ['IN\\tA\\t']}", ""},
		{"validate_answer_rrs: {fail_if_none_matches_regexp: ['192\\.0\\.2\\.9', '10\\.0\\.0\\.1']}", "none of the 2 answer records matched fail_if_none_matches_regexp"},
		{"validate_answer_rrs: {fail_if_none_matches_regexp: ['192\\.0\\.2\\.9', '192\\.0\\.2\\.2']}", ""},
		{"validate_authority_rrs: {fail_if_not_matches_regexp: ['NS\\tns2\\.']}",
			`authority record "example.test.\t300\tIN\tNS\tns1.example.test." did not match fail_if_not_matches_regexp "NS\\tns2\\."`},
		{"validate_additional_rrs: {fail_if_matches_regexp: ['^ns1\\.']}",
			`additional record "ns1.example.test.\t300\tIN\tA\t192.0.2.53" matched fail_if_matches_regexp "^ns1\\."`},
	} {
		res := probe(t, addr, "{query_name: example.test, query_type: A, "+tc.checks+"}")
		if tc.fail == "" {
			probetest.WantSuccess(t, res)
			continue
		}
		probetest.WantFail(t, res, probes.ReasonBodyMismatch, tc.fail)
		if res.Message != tc.fail {
			t.Errorf("message %q, want %q", res.Message, tc.fail)
		}
	}
}

func TestEmptySection(t *testing.T) {
	addr := serve(t, "udp", nil)
	// An MX query has no additional records for the mail host here.
	res := probe(t, addr, "{query_name: rd.example.test, query_type: TXT, validate_additional_rrs: {fail_if_not_matches_regexp: [x]}}")
	probetest.WantFail(t, res, probes.ReasonBodyMismatch, "no additional records, and fail_if_not_matches_regexp needs some")
	res = probe(t, addr, "{query_name: rd.example.test, query_type: TXT, validate_authority_rrs: {fail_if_none_matches_regexp: [x]}}")
	probetest.WantFail(t, res, probes.ReasonBodyMismatch, "no authority records, and fail_if_none_matches_regexp needs one to match")
	probetest.WantSuccess(t, probe(t, addr, "{query_name: rd.example.test, query_type: TXT, validate_additional_rrs: {fail_if_all_match_regexp: [x], fail_if_matches_regexp: [x]}}"))
}

func TestTimeout(t *testing.T) {
	addr := serve(t, "udp", nil)
	p, _ := New(addr, probetest.Section[Config](t, "{query_name: slow.example.test}"))
	res := probetest.Run(t, p, 300*time.Millisecond)
	probetest.WantFail(t, res, probes.ReasonTimeout, "timed out after 300ms while waiting for the response (request phase)")
	if got := probetest.Sample(t, res, "probe_dns_query_succeeded"); got != 0 {
		t.Errorf("probe_dns_query_succeeded = %v", got)
	}
}

func TestGarbage(t *testing.T) {
	addr := serve(t, "tcp", nil)
	res := probe(t, addr, "{query_name: garbage.example.test, transport_protocol: tcp}")
	probetest.WantFail(t, res, probes.ReasonProtocol, "bad response: dns: short read")
}

func TestRefused(t *testing.T) {
	for _, proto := range []string{"udp", "tcp"} {
		var addr string
		if proto == "udp" {
			pc, _ := net.ListenPacket("udp4", "127.0.0.1:0")
			addr = pc.LocalAddr().String()
			pc.Close()
		} else {
			addr = testutil.FreeAddr(t)
		}
		res := probe(t, addr, "{query_name: example.test, transport_protocol: "+proto+"}")
		probetest.WantFail(t, res, probes.ReasonConnect, "refused")
	}
}

func TestUnknownServer(t *testing.T) {
	res := probe(t, "ns.no-such-host.invalid", "{query_name: example.test}")
	probetest.WantFail(t, res, probes.ReasonDNS, "server address: lookup ns.no-such-host.invalid: ")
}

func TestDNSOverTLS(t *testing.T) {
	pki := testutil.NewCerts(t)
	addr := serve(t, "tcp", &tls.Config{Certificates: []tls.Certificate{pki.Server(t)}})
	res := probe(t, addr, "{query_name: example.test, query_type: MX, dns_over_tls: true, tls_config: {ca_file: "+pki.CAFile+"}}")
	probetest.WantSuccess(t, res)
	probetest.Sample(t, res, "probe_ssl_earliest_cert_expiry")
	probetest.Sample(t, res, "probe_tls_version_info", "TLS 1.3")

	res = probe(t, addr, "{query_name: example.test, dns_over_tls: true}")
	probetest.WantFail(t, res, probes.ReasonTLS, "certificate signed by unknown authority")
}

func TestDebugLog(t *testing.T) {
	addr := serve(t, "udp", nil)
	p, _ := New(addr, probetest.Section[Config](t, "{query_name: example.test, query_type: A}"))
	res, log := probetest.RunDebug(t, p, timeout)
	probetest.WantSuccess(t, res)
	for _, want := range []string{`msg=query server=` + addr + ` network=udp4 tls=false question="example.test.\tIN\t A"`,
		"msg=response rcode=NOERROR", "192.0.2.2", "msg=result success=true"} {
		if !strings.Contains(log, want) {
			t.Errorf("debug log lacks %q:\n%s", want, log)
		}
	}
}

func TestTargets(t *testing.T) {
	for _, tc := range []struct {
		target     string
		dot        bool
		host, port string
		err        string
	}{
		{"ns1.example.test", false, "ns1.example.test", "53", ""},
		{"ns1.example.test", true, "ns1.example.test", "853", ""},
		{"127.0.0.1:5353", false, "127.0.0.1", "5353", ""},
		{"::1", false, "::1", "53", ""},
		{"[::1]:5353", false, "::1", "5353", ""},
		{"a:b:c", false, "", "", `target "a:b:c" is not a DNS server's address: not a host, host:port or IPv6 address`},
		{"ns1:0", false, "", "", `target "ns1:0" is not a DNS server's address: port must be 1-65535`},
	} {
		host, port, err := splitTarget(tc.target, tc.dot)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("splitTarget(%q) error %v, want %s", tc.target, err, tc.err)
			}
			continue
		}
		if err != nil || host != tc.host || port != tc.port {
			t.Errorf("splitTarget(%q) = %q, %q, %v", tc.target, host, port, err)
		}
	}
}
