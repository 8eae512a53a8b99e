package grpc

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/probes/internal/probetest"
)

func TestConfigInvalid(t *testing.T) {
	probetest.InvalidFiles(t, func() probetest.Validator { return &Config{} }, map[string]string{
		"invalid-ip-protocol.yml": `invalid-ip-protocol.yml:2: ip_protocol: unknown ip_protocol "ip5" (use ip4 or ip6)`,
		"invalid-metadata.yml": `invalid-metadata.yml:2: metadata.x api key: invalid metadata key "x api key": use letters, digits, '-', '_' and '.'
invalid-metadata.yml:3: metadata.grpc-timeout: metadata key "grpc-timeout": keys starting with grpc- are reserved by gRPC`,
		"invalid-tls-config.yml":  `invalid-tls-config.yml:3: tls_config.min_version: unknown TLS version "TLS14" (use TLS10, TLS11, TLS12 or TLS13)`,
		"invalid-unknown-key.yml": `invalid-unknown-key.yml:3: insecure: unknown field "insecure"`,
	}, nil)
}

func TestConfigValid(t *testing.T) {
	c := &Config{}
	probetest.Valid(t, "testdata/valid.yml", c, map[string]string{"TOKEN": "s3cret"})
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "s3cret") || !strings.Contains(string(out), "<secret>") {
		t.Errorf("metadata not redacted:\n%s", out)
	}
	if !strings.Contains(string(out), "- sloagent") {
		t.Errorf("plain metadata redacted:\n%s", out)
	}
}

// Metadata values are hidden by the names /config hides everywhere
// (conf.SensitiveName): a key naming a JWT or a credential too.
func TestMetadataHiddenAsConfigHides(t *testing.T) {
	c := probetest.Section[Config](t, "metadata: {x-jwt-assertion: [jwt-value], x-client-credential: [cred-value], authorization: [auth-value], x-tenant: [tenant-7]}")
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"jwt-value", "cred-value", "auth-value"} {
		if strings.Contains(string(out), v) {
			t.Errorf("%s shown:\n%s", v, out)
		}
	}
	if !strings.Contains(string(out), "tenant-7") {
		t.Errorf("plain metadata hidden:\n%s", out)
	}
}
