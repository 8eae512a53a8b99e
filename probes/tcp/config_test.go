package tcp

import (
	"testing"

	"github.com/sloagent/sloagent/probes/internal/probetest"
)

func TestConfigInvalid(t *testing.T) {
	probetest.InvalidFiles(t, func() probetest.Validator { return &Config{} }, map[string]string{
		"invalid-unknown-key.yml":      `invalid-unknown-key.yml:2: tls_confg: unknown field "tls_confg"`,
		"invalid-empty-entry.yml":      `invalid-empty-entry.yml:3: query_response[1].expect: empty entry: set expect, expect_bytes, send or starttls`,
		"invalid-expect-and-bytes.yml": `invalid-expect-and-bytes.yml:3: query_response[0].expect_bytes: expect and expect_bytes are mutually exclusive`,
		"invalid-ip-protocol.yml": `invalid-ip-protocol.yml:1: ip_protocol: unknown ip_protocol "ipv6" (use ip4 or ip6)
invalid-ip-protocol.yml:2: source_ip_address: invalid IP address "10.0.0.300"`,
		"invalid-label-name.yml": `invalid-label-name.yml:4: query_response[0].labels[0].name: invalid label name "server-version"
invalid-label-name.yml:8: query_response[1].labels[0].name: duplicate label "build": probe_expect_info has one set of labels`,
		"invalid-label-reserved.yml":        `invalid-label-reserved.yml:3: query_response[0].labels[0].name: label "probe" is set by the agent and cannot be used here`,
		"invalid-labels-without-expect.yml": `invalid-labels-without-expect.yml:3: query_response[0].labels: labels need expect: their values are filled from its match`,
		"invalid-regexp.yml":                `invalid-regexp.yml:2: query_response[0].expect: invalid regular expression "^220 (ready": missing closing ): ` + "`^220 (ready`",
		"invalid-starttls.yml":              `invalid-starttls.yml:6: query_response[1].starttls: the connection is already TLS here (tls: true or an earlier starttls)`,
		"invalid-tls-config.yml": `invalid-tls-config.yml:2: tls_config.key_file: cert_file and key_file must be set together
invalid-tls-config.yml:5: tls_config.max_version: max_version TLS12 is below min_version TLS13`,
	}, nil)
}

func TestConfigValid(t *testing.T) {
	probetest.Valid(t, "testdata/valid.yml", &Config{}, nil)
}

func TestValidateTarget(t *testing.T) {
	probetest.Targets(t, ValidateTarget, map[string]string{
		"db.test:5432": "",
		"[::1]:22":     "",
		"":             "target: missing target: a tcp probe's target is host:port",
		"db.test":      `target: target "db.test" is not host:port: missing port in address`,
	})
}
