package tcp

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

const timeout = 2 * time.Second

// serve runs handle for every connection to a listener on network's
// loopback address and returns the address.
func serve(t *testing.T, network string, handle func(net.Conn)) string {
	t.Helper()
	return probetest.Serve(t, probetest.Listen(t, network), handle)
}

func probe(t *testing.T, target string, c *Config) probes.Result {
	t.Helper()
	return probetest.Probe(t, &Kind, target, c, timeout, ExpectInfo.Name)
}

// smtp is a server that greets, answers EHLO and QUIT.
func smtp(c net.Conn) {
	io.WriteString(c, "220 mail.test ESMTP ready v2.5\r\n")
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		switch {
		case strings.HasPrefix(line, "EHLO "):
			io.WriteString(c, "250-mail.test hello "+strings.TrimSpace(line[5:])+"\r\n250 OK\r\n")
		case strings.HasPrefix(line, "QUIT"):
			io.WriteString(c, "221 bye\r\n")
			return
		default:
			io.WriteString(c, "500 what?\r\n")
		}
	}
}

func TestConnect(t *testing.T) {
	addr := serve(t, "tcp4", func(c net.Conn) { io.Copy(io.Discard, c) })
	res := probe(t, addr, nil)
	probetest.WantSuccess(t, res)
	if got := probetest.Sample(t, res, "probe_ip_protocol"); got != 4 {
		t.Errorf("probe_ip_protocol = %v, want 4", got)
	}
	if got := probetest.Sample(t, res, "probe_tcp_duration_seconds", "connect"); got <= 0 {
		t.Errorf("connect phase = %v, want > 0", got)
	}
	if _, ok := probetest.Find(res, "probe_ssl_earliest_cert_expiry"); ok {
		t.Error("TLS samples on a plain connection")
	}
}

func TestConnectIPv6(t *testing.T) {
	addr := serve(t, "tcp6", func(c net.Conn) {})
	res := probe(t, addr, nil)
	probetest.WantSuccess(t, res)
	if got := probetest.Sample(t, res, "probe_ip_protocol"); got != 6 {
		t.Errorf("probe_ip_protocol = %v, want 6", got)
	}
}

// TestIPProtocolFallback needs a name with only an IPv4 address: a host
// name of the machine's own, looked up through /etc/hosts.
func TestIPProtocolFallback(t *testing.T) {
	addrs, err := net.LookupIP("localhost")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.To4() == nil {
			t.Skip("localhost has an IPv6 address here")
		}
	}
	addr := serve(t, "tcp4", func(c net.Conn) {})
	_, port, _ := net.SplitHostPort(addr)
	res := probe(t, "localhost:"+port, probetest.Section[Config](t, "ip_protocol: ip6"))
	probetest.WantSuccess(t, res)
	if got := probetest.Sample(t, res, "probe_ip_protocol"); got != 4 {
		t.Errorf("probe_ip_protocol = %v, want 4", got)
	}
	res = probe(t, "localhost:"+port, probetest.Section[Config](t, "{ip_protocol: ip6, ip_protocol_fallback: false}"))
	probetest.WantFail(t, res, probes.ReasonDNS, "lookup localhost: ")
	probetest.WantFail(t, res, probes.ReasonDNS, "(ip6 only)")
}

func TestRefused(t *testing.T) {
	addr := testutil.FreeAddr(t)
	res := probe(t, addr, nil)
	probetest.WantFail(t, res, probes.ReasonConnect, "connection to "+addr+" refused while connecting (connect phase)")
}

func TestUnknownHost(t *testing.T) {
	res := probe(t, "no-such-host.invalid:25", nil)
	probetest.WantFail(t, res, probes.ReasonDNS, "lookup no-such-host.invalid: ")
	if got := probetest.Sample(t, res, "probe_ip_protocol"); got != 0 {
		t.Errorf("probe_ip_protocol = %v, want 0", got)
	}
}

func TestDialogue(t *testing.T) {
	addr := serve(t, "tcp4", smtp)
	res := probe(t, addr, probetest.Section[Config](t, `
query_response:
  - expect: '^220 (\S+) ESMTP ready v(\d+\.\d+)'
    labels: [{name: host, value: '${1}'}, {name: version, value: '${2}'}]
    send: 'EHLO ${1}'
  - expect: '^250 OK'
    send: QUIT
  - expect: '^221'
`))
	probetest.WantSuccess(t, res)
	if got := probetest.Sample(t, res, "probe_expect_info", "mail.test", "2.5"); got != 1 {
		t.Errorf("probe_expect_info = %v", got)
	}
	if got := probetest.Sample(t, res, "probe_failed_due_to_regex"); got != 0 {
		t.Errorf("probe_failed_due_to_regex = %v", got)
	}
}

func TestExpectNotMatched(t *testing.T) {
	addr := serve(t, "tcp4", smtp)
	res := probe(t, addr, probetest.Section[Config](t, `
query_response:
  - send: QUIT
  - expect: '^250'
`))
	probetest.WantFail(t, res, probes.ReasonBodyMismatch,
		`query_response[1]: connection closed before a line matched expect "^250"; last line: "221 bye"`)
	if got := probetest.Sample(t, res, "probe_failed_due_to_regex"); got != 1 {
		t.Errorf("probe_failed_due_to_regex = %v, want 1", got)
	}
}

// A long last line is quoted cut between characters, not as a byte of
// one followed by "...".
func TestExpectNotMatchedLongLine(t *testing.T) {
	addr := serve(t, "tcp4", func(c net.Conn) {
		io.WriteString(c, "a"+strings.Repeat("é", 500)+"\r\n")
	})
	res := probe(t, addr, probetest.Section[Config](t, `
query_response:
  - expect: '^250'
`))
	probetest.WantFail(t, res, probes.ReasonBodyMismatch, `last line: "a`+strings.Repeat("é", maxQuotedLine/2-1)+` [802 bytes cut]"`)
}

func TestExpectTimeout(t *testing.T) {
	addr := serve(t, "tcp4", func(c net.Conn) { io.Copy(io.Discard, c) })
	p, _ := New(addr, probetest.Section[Config](t, "query_response: [{expect: '^OK'}]"))
	res := probetest.Run(t, p, 300*time.Millisecond)
	probetest.WantFail(t, res, probes.ReasonTimeout,
		`timed out after 300ms while waiting for a line matching "^OK" (query_response[0]) (query phase)`)
	if got := probetest.Sample(t, res, "probe_tcp_duration_seconds", "query"); got < 0.2 {
		t.Errorf("query phase = %v, want about 0.3", got)
	}
}

func TestExpectBytes(t *testing.T) {
	addr := serve(t, "tcp4", func(c net.Conn) { c.Write([]byte("\x00\x01OK\n")) })
	probetest.WantSuccess(t, probe(t, addr, probetest.Section[Config](t, `query_response: [{expect_bytes: "\x00\x01OK"}]`)))

	res := probe(t, addr, probetest.Section[Config](t, `query_response: [{expect_bytes: "\x00\x02OK"}]`))
	probetest.WantFail(t, res, probes.ReasonBodyMismatch, `query_response[0]: expect_bytes "\x00\x02OK" did not match; got "\x00\x01OK"`)
	if got := probetest.Sample(t, res, "probe_failed_due_to_bytes"); got != 1 {
		t.Errorf("probe_failed_due_to_bytes = %v, want 1", got)
	}

	res = probe(t, addr, probetest.Section[Config](t, `query_response: [{expect_bytes: "\x00\x01OK\nmore"}]`))
	probetest.WantFail(t, res, probes.ReasonBodyMismatch, `connection closed after 5 of the 9 bytes of expect_bytes; got "\x00\x01OK\n"`)
}

func TestLineTooLong(t *testing.T) {
	addr := serve(t, "tcp4", func(c net.Conn) {
		chunk := []byte(strings.Repeat("x", 8192))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	res := probe(t, addr, probetest.Section[Config](t, "query_response: [{expect: '^OK'}]"))
	probetest.WantFail(t, res, probes.ReasonProtocol, "query_response[0]: the server sent a line longer than 64 KiB")
}

func TestReset(t *testing.T) {
	addr := serve(t, "tcp4", func(c net.Conn) {
		c.(*net.TCPConn).SetLinger(0)
	})
	res := probe(t, addr, probetest.Section[Config](t, "query_response: [{expect: '^OK'}]"))
	if res.Reason != probes.ReasonConnect && res.Reason != probes.ReasonBodyMismatch {
		t.Fatalf("reason %q: %s", res.Reason, res.Message)
	}
}

func TestTLS(t *testing.T) {
	pki := testutil.NewCerts(t)
	cert := pki.Server(t)
	addr := serve(t, "tcp4", func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		if tc.Handshake() == nil {
			io.WriteString(tc, "+OK ready\r\n")
		}
	})
	res := probe(t, addr, probetest.Section[Config](t, "tls: true\ntls_config: {ca_file: "+pki.CAFile+"}\nquery_response: [{expect: '^\\+OK'}]"))
	probetest.WantSuccess(t, res)
	if got := probetest.Sample(t, res, "probe_ssl_earliest_cert_expiry"); got != float64(cert.Leaf.NotAfter.Unix()) {
		t.Errorf("probe_ssl_earliest_cert_expiry = %v, want %v", got, cert.Leaf.NotAfter.Unix())
	}
	probetest.Sample(t, res, "probe_tls_version_info", "TLS 1.3")
	probetest.Sample(t, res, "probe_ssl_last_chain_expiry_timestamp_seconds")
	if got := probetest.Sample(t, res, "probe_tcp_duration_seconds", "tls"); got <= 0 {
		t.Errorf("tls phase = %v", got)
	}

	// Without the CA the certificate is unknown; its expiry still shows.
	res = probe(t, addr, probetest.Section[Config](t, "tls: true"))
	probetest.WantFail(t, res, probes.ReasonTLS, "certificate signed by unknown authority (CN=test server issued by CN=sloagent test CA)")
	probetest.Sample(t, res, "probe_ssl_earliest_cert_expiry")

	res = probe(t, addr, probetest.Section[Config](t, "tls: true\ntls_config: {ca_file: "+pki.CAFile+", server_name: db.test}"))
	probetest.WantFail(t, res, probes.ReasonTLS, "certificate CN=test server is not valid for db.test (valid for localhost,127.0.0.1,::1)")
}

func TestTLSToPlainServer(t *testing.T) {
	addr := serve(t, "tcp4", smtp)
	res := probe(t, addr, probetest.Section[Config](t, "tls: true"))
	probetest.WantFail(t, res, probes.ReasonTLS, "TLS handshake failed: the server did not answer with TLS")
}

func TestStartTLS(t *testing.T) {
	pki := testutil.NewCerts(t)
	cert := pki.Server(t)
	addr := serve(t, "tcp4", func(c net.Conn) {
		io.WriteString(c, "220 ready\r\n")
		br := bufio.NewReader(c)
		if line, _ := br.ReadString('\n'); line != "STARTTLS\n" {
			io.WriteString(c, "500 "+line)
			return
		}
		io.WriteString(c, "220 go ahead\r\n")
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		if tc.Handshake() != nil {
			return
		}
		io.WriteString(tc, "250 secure\r\n")
	})
	res := probe(t, addr, probetest.Section[Config](t, `
tls_config: {ca_file: `+pki.CAFile+`}
query_response:
  - expect: '^220 ready'
    send: STARTTLS
  - expect: '^220 go ahead'
    starttls: true
  - expect: '^250 secure'
`))
	probetest.WantSuccess(t, res)
	probetest.Sample(t, res, "probe_tls_version_info", "TLS 1.3")
}

func TestDebugLog(t *testing.T) {
	addr := serve(t, "tcp4", smtp)
	p, _ := New(addr, probetest.Section[Config](t, "query_response: [{expect: '^220', send: QUIT}, {expect: '^221'}]"))
	res, log := probetest.RunDebug(t, p, timeout)
	probetest.WantSuccess(t, res)
	for _, want := range []string{"msg=connected", `msg="read line" line="220 mail.test ESMTP ready v2.5"`, "msg=send entry=0 line=QUIT", "msg=result success=true"} {
		if !strings.Contains(log, want) {
			t.Errorf("debug log lacks %q:\n%s", want, log)
		}
	}
}

func TestNewBadTarget(t *testing.T) {
	for target, want := range map[string]string{
		"db.test":       `target "db.test" is not host:port: missing port in address`,
		":5432":         `target ":5432" is not host:port: missing host`,
		"db.test:99999": `target "db.test:99999" is not host:port: port must be 1-65535`,
	} {
		if _, err := New(target, nil); err == nil || err.Error() != want {
			t.Errorf("New(%q) = %v, want %s", target, err, want)
		}
	}
}

// A certificate naming thousands of hosts, none the one asked for, is
// described with a bounded part of its names.
func TestCertificateWithThousandsOfNames(t *testing.T) {
	pki := testutil.NewCerts(t)
	names := []string{"127.0.0.1"}
	for i := range 6000 {
		names = append(names, fmt.Sprintf("h%d.example.test", i))
	}
	cert := pki.Leaf(t, "many", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false, names...)
	addr := serve(t, "tcp4", func(c net.Conn) {
		tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}}).Handshake()
	})
	// To fail by the names, however slow the machine is to read them.
	res := probetest.Probe(t, &Kind, addr, probetest.Section[Config](t, "tls: true\ntls_config: {ca_file: "+pki.CAFile+", server_name: db.test}"),
		30*time.Second, ExpectInfo.Name)
	probetest.WantFail(t, res, probes.ReasonTLS, "certificate CN=many is not valid for db.test (valid for h0.example.test,h1.example.test,")
	probetest.WantFail(t, res, probes.ReasonTLS, " bytes cut] ")
	if len(res.Message) > 1<<10 {
		t.Errorf("the message is %d bytes long", len(res.Message))
	}
}
