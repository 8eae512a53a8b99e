package http

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes/internal/probetest"
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
	pki := testutil.NewCerts(t)
	certFile, keyFile := pki.Files(t, "client", pki.Server(t))
	caPEM, _ := os.ReadFile(pki.CAFile)
	certPEM, _ := os.ReadFile(certFile)
	keyPEM, _ := os.ReadFile(keyFile)
	indent := func(b []byte) string { return strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", "\n    ") }
	for _, src := range []string{
		"authorization: {type: Token, credentials_file: FILE}",
		"authorization: {credentials: abc}",
		"basic_auth: {username_file: FILE, password: p}",
		"oauth2: {client_id: id, client_secret_file: FILE, scopes: [a, b], token_url: 'https://auth.test/token', endpoint_params: {audience: x}, tls_config: {insecure_skip_verify: true}, proxy_url: 'http://proxy.test:3128'}",
		"{proxy_url: 'http://proxy.test:3128', no_proxy: 'localhost,10.0.0.0/8', proxy_connect_header: {Proxy-Authorization: [Basic abc]}}",
		"{proxy_from_environment: true, proxy_connect_header: {X-A: [b, c]}}",
		"{enable_http3: true, valid_http_versions: [HTTP/3.0], enable_http2: false}",
		"{enable_http3: true, valid_http_versions: [HTTP/3]}",
		"fail_if_body_json_matches_cel: \"body.status == 'down'\"",
		"fail_if_body_json_not_matches_cel: 'body.items.all(i, i.ok)'",
		"{compression: br, headers: {Accept-Encoding: 'gzip;q=1.0, br;q=0.5'}}",
		"{compression: identity, headers: {accept-encoding: identity}}",
		"body_size_limit: none",
		"body_size_limit: 0",
		"tls_config:\n  ca: |\n    " + indent(caPEM) + "\n  cert: |\n    " + indent(certPEM) + "\n  key: |\n    " + indent(keyPEM),
	} {
		if ps := problems(t, strings.ReplaceAll(src, "FILE", file)); len(ps) > 0 {
			t.Errorf("problems in %s: %v", src, ps)
		}
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
		{"valid_http_versions: [HTTP/4]", "valid_http_versions[0]", `unknown HTTP version "HTTP/4"`},
		{"{fail_if_ssl: true, fail_if_not_ssl: true}", "fail_if_not_ssl", "fail every run"},
		{"fail_if_body_matches_regexp: ['(']", "fail_if_body_matches_regexp[0]", "invalid regular expression"},
		{"fail_if_header_matches: [{regexp: x}]", "fail_if_header_matches[0].header", "missing header name"},
		{"fail_if_header_not_matches: [{header: X}]", "fail_if_header_not_matches[0].regexp", "missing regular expression"},
		{"fail_if_header_not_matches: [{header: X, regex: x}]", "fail_if_header_not_matches[0].regex", "unknown field"},
		{"max_redirects: -1", "max_redirects", "must not be negative"},
		{"follow_redirects: maybe", "follow_redirects", "cannot unmarshal"},
		{"tls_config: {cert_file: /etc/hostname}", "tls_config.key_file", "a client certificate needs its key"},
		{"tls_config: {ca_file: " + missing + "}", "tls_config.ca_file", "no such file"},
		{"tls_config: {min_version: TLS14}", "tls_config.min_version", `unknown TLS version "TLS14"`},
		{"tls_config: {min_version: TLS13, max_version: TLS12}", "tls_config.max_version", "below min_version"},
		{"tls_config: {insecure: true}", "tls_config.insecure", "unknown field"},
		{"ip_protocol: ipv4", "ip_protocol", `unknown ip_protocol "ipv4"`},
		{"proxy_url: ftp://proxy.test", "proxy_url", "must use http, https or socks5"},
		{"proxy_url: 'http://'", "proxy_url", "has no host"},
		{"body_size_limit: lots", "body_size_limit", `invalid size "lots"`},
		{"body_size_limit: 10XB", "body_size_limit", `invalid size "10XB"`},
		{"compression: zstd", "compression", `unsupported compression "zstd"`},
		{"{compression: gzip, headers: {Accept-Encoding: 'br, identity'}}", "headers.Accept-Encoding", `Accept-Encoding "br, identity" does not accept compression "gzip"`},
		{"{compression: gzip, headers: {accept-encoding: 'gzip;q=0, br'}}", "headers.accept-encoding", `does not accept compression "gzip"`},
		{"{compression: br, headers: {Accept-Encoding: '*;q=0'}}", "headers.Accept-Encoding", `does not accept compression "br"`},
		{"body_size_limit: -1", "body_size_limit", `invalid size "-1"`},
		{"basic_auth: {username: u, username_file: /etc/hostname}", "basic_auth.username_file", "mutually exclusive"},
		{"basic_auth: {username_file: " + missing + "}", "basic_auth.username_file", "no such file"},
		{"authorization: {type: Basic, credentials: x}", "authorization.type", "use basic_auth for Basic credentials"},
		{"authorization: {type: 'Bear er'}", "authorization.type", `invalid authorization type "Bear er"`},
		{"authorization: {credentials: x, credentials_file: /etc/hostname}", "authorization.credentials_file", "mutually exclusive"},
		{"authorization: {credentials_file: " + missing + "}", "authorization.credentials_file", "no such file"},
		{"authorization: {creds: x}", "authorization.creds", `unknown field "creds"`},
		{"{bearer_token: t, authorization: {credentials: x}}", "authorization", "bearer_token and authorization are mutually exclusive"},
		{"{basic_auth: {username: u}, oauth2: {client_id: i, token_url: 'http://a.test/'}}", "oauth2", "basic_auth and oauth2 are mutually exclusive"},
		{"{authorization: {credentials: x}, headers: {Authorization: y}}", "headers", "an Authorization header conflicts with authorization"},
		{"oauth2: {token_url: 'http://a.test/'}", "oauth2.client_id", "missing client_id"},
		{"oauth2: {client_id: i}", "oauth2.token_url", "missing token_url"},
		{"oauth2: {client_id: i, token_url: 'ftp://a.test/'}", "oauth2.token_url", "is not an http:// or https:// URL"},
		{"oauth2: {client_id: i, token_url: 'http://a.test/', client_secret: s, client_secret_file: /etc/hostname}", "oauth2.client_secret_file", "mutually exclusive"},
		{"oauth2: {client_id: i, token_url: 'http://a.test/', tls_config: {ca_file: " + missing + "}}", "oauth2.tls_config.ca_file", "no such file"},
		{"oauth2: {client_id: i, token_url: 'http://a.test/', grant_type: jwt}", "oauth2.grant_type", `unknown field "grant_type"`},
		{"no_proxy: localhost", "no_proxy", "no_proxy needs proxy_url"},
		{"{proxy_from_environment: true, proxy_url: 'http://p.test:1'}", "proxy_from_environment", "mutually exclusive"},
		{"{proxy_from_environment: true, no_proxy: localhost}", "no_proxy", "does not apply to proxy_from_environment"},
		{"proxy_connect_header: {X-A: [b]}", "proxy_connect_header", "needs proxy_url or proxy_from_environment"},
		{"{proxy_url: 'http://p.test:1', proxy_connect_header: {'X A': [b]}}", "proxy_connect_header", `invalid header name "X A"`},
		{"{proxy_url: 'http://p.test:1', proxy_connect_header: {X-A: b}}", "proxy_connect_header.X-A", "cannot unmarshal"},
		{"valid_http_versions: [HTTP/3.0]", "valid_http_versions[0]", "HTTP/3.0 needs enable_http3: true"},
		{"{enable_http3: true, valid_http_versions: [HTTP/2.0]}", "valid_http_versions[0]", "with enable_http3 every response is HTTP/3.0, never HTTP/2.0"},
		{"{enable_http3: true, enable_http2: true}", "enable_http2", "enable_http2 and enable_http3 are mutually exclusive"},
		{"{enable_http3: true, proxy_url: 'http://p.test:1'}", "enable_http3", "HTTP/3 cannot go through proxy_url"},
		{"{enable_http3: true, tls_config: {max_version: TLS12}}", "tls_config.max_version", "HTTP/3 needs TLS13"},
		{"fail_if_body_json_matches_cel: 'body.'", "fail_if_body_json_matches_cel", `invalid CEL expression "body."`},
		{"fail_if_body_json_not_matches_cel: 'size(body)'", "fail_if_body_json_not_matches_cel", `CEL expression "size(body)" gives int, not a bool`},
		{"fail_if_body_json_not_matches_cel: [a]", "fail_if_body_json_not_matches_cel[0]", "want a CEL expression as a string"},
		{"fail_if_body_json_matches_cel: 'nobody == 1'", "fail_if_body_json_matches_cel", "undeclared reference to 'nobody'"},
		{"tls_config: {ca: x, ca_file: /etc/hostname}", "tls_config.ca_file", "ca and ca_file are mutually exclusive"},
		{"tls_config: {ca: 'not pem'}", "tls_config.ca", "no PEM certificate in ca"},
		{"tls_config: {cert: a, cert_file: /etc/hostname, key: k}", "tls_config.cert_file", "cert and cert_file are mutually exclusive"},
		{"tls_config: {key: k}", "tls_config.cert_file", "a client key needs its certificate"},
		{"tls_config: {cert: x, key: y}", "tls_config.cert", "client certificate: tls: failed to find any PEM data"},
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

// The credentials of the newer options print as <secret> too, and the
// special body size limits read back the same.
func TestMarshalRedactsNewSecrets(t *testing.T) {
	for _, src := range []string{
		"authorization: {type: Token, credentials: abc}",
		"oauth2: {client_id: id, client_secret: abc, token_url: 'https://a.test/'}",
		"tls_config: {cert: c, key: abc}",
		"{proxy_url: 'http://p.test:1', proxy_connect_header: {Proxy-Authorization: [abc]}}",
	} {
		out, err := yaml.Marshal(probetest.Section[Config](t, src))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), "abc") || !strings.Contains(string(out), conf.Redacted) {
			t.Errorf("%s marshals to:\n%s", src, out)
		}
	}
	for src, want := range map[string]BodySizeLimit{"body_size_limit: none": NoBodySizeLimit, "body_size_limit: 0": NoBodySizeLimit, "body_size_limit: 1KiB": 1024, "{}": 0} {
		c := probetest.Section[Config](t, src)
		out, _ := yaml.Marshal(c)
		if c.BodySizeLimit != want || probetest.Section[Config](t, string(out)).BodySizeLimit != want {
			t.Errorf("%s: %v, written as %s", src, c.BodySizeLimit, out)
		}
	}
	cel := probetest.Section[Config](t, "fail_if_body_json_matches_cel: \"body.a == 'b'\"")
	out, _ := yaml.Marshal(cel)
	if back := probetest.Section[Config](t, string(out)); back.FailIfBodyJSONMatchesCEL == nil || back.FailIfBodyJSONMatchesCEL.Expression != "body.a == 'b'" {
		t.Errorf("CEL written as %s", out)
	}
}

// Written back out (as /config shows it), the config hides credentials.
func TestMarshalRedacts(t *testing.T) {
	c := probetest.Section[Config](t, `
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
	back := probetest.Section[Config](t, s)
	if back.BodySizeLimit != 10<<20 || back.FailIfBodyMatchesRegexp[0].String() != "err(or)?" {
		t.Errorf("round trip changed the config: %+v", back)
	}
}

func TestValueOr(t *testing.T) {
	f, zero := false, 0
	for _, c := range []struct{ got, want any }{
		{valueOr(nil, true), true},
		{valueOr(&f, true), false},
		{valueOr(nil, 10), 10},
		{valueOr(&zero, 10), 0},
	} {
		if c.got != c.want {
			t.Errorf("got %v, want %v", c.got, c.want)
		}
	}
}
