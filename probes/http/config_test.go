package http

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
)

// problems decodes src as the agent does and validates it.
func problems(t *testing.T, src string) []conf.Problem {
	t.Helper()
	c := &Config{}
	doc, ps := conf.Decode("test.yml", []byte(src), c, func(string) (string, bool) { return "", false })
	r := conf.NewReport()
	c.Validate(r)
	return append(ps, doc.Locate(r.Problems())...)
}

func TestValidateGood(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("x"), 0o600)
	src := strings.ReplaceAll(`
method: POST
headers: {X-Api-Key: abc, Accept: text/html}
body_file: FILE
basic_auth: {username: u, password_file: FILE}
valid_status_codes: [200, 301]
valid_http_versions: [HTTP/1.1, HTTP/2.0, HTTP/2]
fail_if_not_ssl: true
fail_if_body_matches_regexp: [error]
fail_if_body_not_matches_regexp: [ok]
fail_if_header_matches: [{header: X-Cache, regexp: MISS, allow_missing: true}]
fail_if_header_not_matches: [{header: Content-Type, regexp: json}]
follow_redirects: false
max_redirects: 0
tls_config: {ca_file: FILE, cert_file: FILE, key_file: FILE, server_name: x.test, insecure_skip_verify: true, min_version: TLS12, max_version: TLS13}
ip_protocol: ip6
ip_protocol_fallback: false
proxy_url: http://u:p@proxy.test:3128
body_size_limit: 10MB
compression: gzip
enable_http2: false
`, "FILE", file)
	if ps := problems(t, src); len(ps) > 0 {
		t.Fatalf("problems in a good config: %v", ps)
	}
	if ps := problems(t, "{}"); len(ps) > 0 {
		t.Fatalf("problems in an empty config: %v", ps)
	}
}

func TestValidateBad(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct{ src, field, msg string }{
		{"methd: GET", "methd", `unknown field "methd"`},
		{"method: 'GE T'", "method", `invalid method "GE T"`},
		{"method: get", "method", `methods are case-sensitive, use "GET"`},
		{"headers: {'Bad Name': x}", "headers", `invalid header name "Bad Name"`},
		{"headers: {X-A: \"a\\nb\"}", "headers.X-A", "control characters"},
		{"{body: x, body_file: /etc/hostname}", "body_file", "mutually exclusive"},
		{"body_file: " + missing, "body_file", "no such file"},
		{"basic_auth: {username: u, password: p, password_file: /etc/hostname}", "basic_auth.password_file", "mutually exclusive"},
		{"basic_auth: {password: p}", "basic_auth.username", "missing username"},
		{"basic_auth: {usr: u}", "basic_auth.usr", `unknown field "usr"`},
		{"{bearer_token: t, bearer_token_file: /etc/hostname}", "bearer_token_file", "mutually exclusive"},
		{"{bearer_token: t, basic_auth: {username: u}}", "bearer_token", "mutually exclusive"},
		{"{bearer_token: t, headers: {authorization: x}}", "headers", "conflicts"},
		{"valid_status_codes: [200, 999]", "valid_status_codes[1]", "invalid status code 999"},
		{"valid_status_codes: [2xx]", "valid_status_codes[0]", "cannot unmarshal"},
		{"valid_http_versions: [HTTP/3]", "valid_http_versions[0]", `unknown HTTP version "HTTP/3"`},
		{"{fail_if_ssl: true, fail_if_not_ssl: true}", "fail_if_not_ssl", "fail every run"},
		{"fail_if_body_matches_regexp: ['(']", "fail_if_body_matches_regexp[0]", "invalid regular expression"},
		{"fail_if_header_matches: [{regexp: x}]", "fail_if_header_matches[0].header", "missing header name"},
		{"fail_if_header_not_matches: [{header: X}]", "fail_if_header_not_matches[0].regexp", "missing regular expression"},
		{"fail_if_header_not_matches: [{header: X, regex: x}]", "fail_if_header_not_matches[0].regex", "unknown field"},
		{"max_redirects: -1", "max_redirects", "must not be negative"},
		{"follow_redirects: maybe", "follow_redirects", "cannot unmarshal"},
		{"tls_config: {cert_file: /etc/hostname}", "tls_config.key_file", "set together"},
		{"tls_config: {ca_file: " + missing + "}", "tls_config.ca_file", "no such file"},
		{"tls_config: {min_version: TLS14}", "tls_config.min_version", `unknown TLS version "TLS14"`},
		{"tls_config: {min_version: TLS13, max_version: TLS12}", "tls_config.max_version", "below min_version"},
		{"tls_config: {insecure: true}", "tls_config.insecure", "unknown field"},
		{"ip_protocol: ipv4", "ip_protocol", `unknown ip_protocol "ipv4"`},
		{"proxy_url: ftp://proxy.test", "proxy_url", "must use http, https or socks5"},
		{"proxy_url: 'http://'", "proxy_url", "has no host"},
		{"body_size_limit: lots", "body_size_limit", `invalid size "lots"`},
		{"body_size_limit: 10XB", "body_size_limit", `invalid size "10XB"`},
		{"compression: br", "compression", `unsupported compression "br"`},
	} {
		t.Run(tc.src, func(t *testing.T) {
			ps := problems(t, tc.src)
			for _, p := range ps {
				if p.Field == tc.field && strings.Contains(p.Msg, tc.msg) {
					if p.Line == 0 {
						t.Errorf("problem %v has no line", p)
					}
					return
				}
			}
			t.Fatalf("want a problem at %s containing %q, got %v", tc.field, tc.msg, ps)
		})
	}
}

// Written back out (as /config shows it), the config hides credentials.
func TestMarshalRedacts(t *testing.T) {
	c := parseConfig(t, `
headers:
  Authorization: Bearer abc
  Cookie: session=abc
  X-Api-Key: abc
  X-Auth-Token: abc
  X-Client-Secret: abc
  Accept: text/html
basic_auth: {username: alice, password: abc}
bearer_token: abc
proxy_url: http://bob:abc@proxy.test:3128
body_size_limit: 10MiB
fail_if_body_matches_regexp: ['err(or)?']
`)
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if strings.Contains(s, "abc") {
		t.Errorf("marshalled config shows a secret:\n%s", s)
	}
	for _, want := range []string{"Accept: text/html", "username: alice", "http://bob:%3Csecret%3E@proxy.test:3128", "body_size_limit: 10MiB", "err(or)?"} {
		if !strings.Contains(s, want) {
			t.Errorf("marshalled config lacks %q:\n%s", want, s)
		}
	}
	// What is written back reads back to the same sizes and expressions.
	back := parseConfig(t, s)
	if back.BodySizeLimit != 10<<20 || back.FailIfBodyMatchesRegexp[0].String() != "err(or)?" {
		t.Errorf("round trip changed the config: %+v", back)
	}
}
