package dns

import (
	"testing"

	"github.com/sloagent/sloagent/probes/internal/probetest"
)

func TestConfigInvalid(t *testing.T) {
	probetest.InvalidFiles(t, func() probetest.Validator { return &Config{} }, map[string]string{
		"invalid-dot-udp.yml":            `invalid-dot-udp.yml:2: transport_protocol: dns_over_tls needs transport_protocol tcp`,
		"invalid-missing-query-name.yml": `invalid-missing-query-name.yml:1: query_name: missing query_name: the name to ask the server about`,
		"invalid-query.yml": `invalid-query.yml:1: query_name: invalid domain name "bad..name"
invalid-query.yml:2: query_type: unknown query_type "AAAAA"
invalid-query.yml:3: query_class: unknown query_class "INET" (use IN, CH, HS, NONE or ANY)`,
		"invalid-rcode.yml": `invalid-rcode.yml:2: valid_rcodes[1]: unknown rcode "NXDOMIAN" (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...)`,
		"invalid-regexp.yml": `invalid-regexp.yml:3: validate_answer_rrs.fail_if_not_matches_regexp[0]: invalid regular expression "IN\\tA\\t(192": missing closing ): ` + "`IN\\tA\\t(192`" + `
invalid-regexp.yml:5: validate_authority_rrs.fail_if_all_matches_regexp: unknown field "fail_if_all_matches_regexp"`,
		"invalid-transport.yml": `invalid-transport.yml:2: transport_protocol: unknown transport_protocol "quic" (use udp or tcp)`,
	}, nil)
}

func TestConfigValid(t *testing.T) {
	probetest.Valid(t, "testdata/valid.yml", &Config{}, nil)
}

func TestValidateTarget(t *testing.T) {
	probetest.Targets(t, ValidateTarget, map[string]string{
		"ns1.example.test": "",
		"[::1]:5353":       "",
		"":                 "target: missing target: a dns probe's target is the server, host or host:port",
		"a:b:c":            `target: target "a:b:c" is not a DNS server's address: not a host, host:port or IPv6 address`,
	})
}
