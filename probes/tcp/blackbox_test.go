package tcp

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// Side by side with the blackbox_exporter Debian ships (0.23): the same
// local servers, the same tcp section, the same values. 0.23 has no
// expect_bytes and no labels (so no probe_expect_info or
// probe_failed_due_to_bytes); those are tested on their own.

// comparedFamilies are the series a dashboard reads off both.
var comparedFamilies = []string{
	"probe_success", "probe_failed_due_to_regex", "probe_ip_protocol",
	"probe_ssl_earliest_cert_expiry", "probe_ssl_last_chain_expiry_timestamp_seconds",
	"probe_tls_version_info", "probe_ssl_last_chain_info",
}

// What 0.23 reports where sloagent differs on purpose:
//   - zeroTime, Go's zero time (the year 1), as
//     probe_ssl_last_chain_expiry_timestamp_seconds when no chain was
//     verified (insecure_skip_verify); sloagent reports none then.
//   - no certificate series after a handshake that failed verification;
//     sloagent reports the certificates the server sent, since their
//     expiry is often why it failed.
const (
	zeroTime = "{} -6.21355968e+10"
	none     = "none"
)

func TestSameValuesAsBlackboxExporter(t *testing.T) {
	pki := testutil.NewCerts(t)
	cert := pki.Server(t)
	selfFile, selfKey := testutil.SelfSigned(t, t.TempDir())
	self, err := tls.LoadX509KeyPair(selfFile, selfKey)
	if err != nil {
		t.Fatal(err)
	}

	mail := serve(t, "tcp4", mailServer(cert))
	mailSelf := serve(t, "tcp4", mailServer(self))
	pop := serve(t, "tcp4", tlsGreeter(cert))
	popSelf := serve(t, "tcp4", tlsGreeter(self))
	line := func(s string) string { return serve(t, "tcp4", func(c net.Conn) { io.WriteString(c, s) }) }
	stream := serve(t, "tcp4", func(c net.Conn) {
		chunk := []byte(strings.Repeat("x", 8<<10))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	x := strings.Repeat("x", maxLine-1) // the longest line both read

	dialogue := `query_response: [{expect: '^220', send: 'EHLO prober.test'}, {expect: '^250 OK', send: QUIT}, {expect: '^221'}]`
	starttls := `query_response: [{expect: '^220', send: 'EHLO prober.test'}, {expect: '^250-STARTTLS'}, {expect: '^250 OK', send: STARTTLS}, ` +
		`{expect: '^220 go ahead', starttls: true}, {send: 'EHLO prober.test'}, {expect: '^250 OK', send: QUIT}, {expect: '^221'}]`
	unverified := map[string]string{"probe_ssl_earliest_cert_expiry": none, "probe_ssl_last_chain_info": none}
	ca := "tls_config: {ca_file: " + pki.CAFile + "}"
	insecure := "tls_config: {insecure_skip_verify: true}"

	cases := []struct {
		name, target, tcp string
		// differs names the families whose values differ on purpose,
		// with blackbox_exporter's value: it is checked to be that,
		// and ours to be another.
		differs map[string]string
	}{
		{name: "connect", target: serve(t, "tcp4", func(c net.Conn) { io.Copy(io.Discard, c) })},
		{name: "connect_ipv6", target: serve(t, "tcp6", func(c net.Conn) { io.Copy(io.Discard, c) })},
		{name: "refused", target: testutil.FreeAddr(t)},
		{name: "expect", target: mail, tcp: `query_response: [{expect: '^220 \S+ ESMTP'}]`},
		// The server answers QUIT and closes before any line matches.
		{name: "expect_no_match", target: mail, tcp: `query_response: [{send: QUIT}, {expect: '^250'}]`},
		{name: "dialogue", target: mail, tcp: dialogue},
		{name: "capture", target: mail, tcp: `query_response: [{expect: '^220 (\S+) ESMTP ready v(\d+\.\d+)', send: 'EHLO ${1}-${2}'}, ` +
			`{expect: '^250-mail.test hello mail.test-2.5$', send: QUIT}, {expect: '^221'}]`},
		{name: "capture_named", target: mail, tcp: `query_response: [{expect: '^220 (?P<host>\S+) ', send: 'EHLO ${host}'}, ` +
			`{expect: '^250-mail.test hello mail.test$', send: QUIT}, {expect: '^221'}]`},
		{name: "starttls_ca", target: mail, tcp: ca + ", " + starttls},
		{name: "starttls_insecure", target: mailSelf, tcp: insecure + ", " + starttls,
			differs: map[string]string{"probe_ssl_last_chain_expiry_timestamp_seconds": zeroTime}},
		{name: "starttls_unknown_ca", target: mailSelf, tcp: ca + ", " + starttls, differs: unverified},
		{name: "tls_ca", target: pop, tcp: `tls: true, ` + ca + `, query_response: [{expect: '^\+OK'}]`},
		{name: "tls_insecure", target: popSelf, tcp: `tls: true, ` + insecure + `, query_response: [{expect: '^\+OK'}]`,
			differs: map[string]string{"probe_ssl_last_chain_expiry_timestamp_seconds": zeroTime}},
		{name: "tls_unknown_ca", target: popSelf, tcp: `tls: true, ` + ca, differs: unverified},
		{name: "tls_no_dialogue", target: pop, tcp: `tls: true, ` + ca},
		{name: "tls_to_plain_server", target: mail, tcp: `tls: true, ` + ca},
		{name: "closes_at_once", target: line(""), tcp: `query_response: [{expect: '^220'}]`},
		{name: "closes_after_greeting", target: line("220 hi\r\n"), tcp: `query_response: [{expect: '^220'}, {expect: '^250'}]`},
		{name: "stream_without_newline", target: stream, tcp: `query_response: [{expect: '^OK'}]`},
		{name: "long_last_line", target: line(x), tcp: `query_response: [{expect: 'x$'}]`},
		{name: "too_long_last_line", target: line(x + "x"), tcp: `query_response: [{expect: 'x$'}]`},
		{name: "long_line", target: line(x + "\n"), tcp: `query_response: [{expect: 'x$'}]`},
		{name: "too_long_line", target: line(x + "x\n"), tcp: `query_response: [{expect: 'x$'}]`},
		{name: "long_line_no_match", target: line(x + "\n"), tcp: `query_response: [{expect: '^OK'}]`},
	}
	var modules probetest.Modules
	for _, c := range cases {
		modules.Add(c.name, "tcp", "5s", c.tcp)
	}
	bb := probetest.StartBlackbox(t, modules.String())

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			theirs := probetest.Render(bb.Families(t, c.name, c.target))
			res := probe(t, c.target, probetest.Section[Config](t, "{"+c.tcp+"}"))
			ours := probetest.RenderResult(res)
			for name, want := range c.differs {
				th, ok := theirs[name]
				if !ok {
					th = none
				}
				o, ok := ours[name]
				if !ok {
					o = none
				}
				if th != want || o == th {
					t.Errorf("%s: ours %s, blackbox_exporter's %s; expected blackbox_exporter's to be %s and ours another",
						name, o, th, want)
				}
				delete(theirs, name)
				delete(ours, name)
			}
			for _, d := range probetest.Diff(ours, theirs, comparedFamilies...) {
				t.Errorf("%s (%s: %s)", d, res.Reason, res.Message)
			}
		})
	}
}

// mailServer greets as an SMTP server, answers EHLO (offering STARTTLS),
// STARTTLS (upgrading with cert) and QUIT, and closes after QUIT.
func mailServer(cert tls.Certificate) func(net.Conn) {
	return func(c net.Conn) {
		var conn net.Conn = c
		io.WriteString(conn, "220 mail.test ESMTP ready v2.5\r\n")
		br := bufio.NewReader(conn)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.TrimRight(line, "\r\n")
			switch {
			case strings.HasPrefix(cmd, "EHLO "):
				io.WriteString(conn, "250-mail.test hello "+cmd[5:]+"\r\n250-STARTTLS\r\n250 OK\r\n")
			case cmd == "STARTTLS":
				io.WriteString(conn, "220 go ahead\r\n")
				tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
				if tc.Handshake() != nil {
					return
				}
				conn, br = tc, bufio.NewReader(tc)
			case cmd == "QUIT":
				io.WriteString(conn, "221 bye\r\n")
				return
			default:
				io.WriteString(conn, "500 what?\r\n")
			}
		}
	}
}

// tlsGreeter speaks TLS from the start and greets as a POP3 server.
func tlsGreeter(cert tls.Certificate) func(net.Conn) {
	return func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		if tc.Handshake() == nil {
			io.WriteString(tc, "+OK ready\r\n")
			// Until the client is done: closing first could reset
			// the connection before the greeting is read.
			io.Copy(io.Discard, tc)
		}
	}
}
