// Command tcp is the example plugin of sloagent's Go SDK: it connects to a
// TCP target (host:port), optionally over TLS, optionally sends a string and
// expects an answer that contains a string or matches a regular expression.
// It shows a whole plugin in one file; TCP services are probed with the
// agent's built-in tcp kind.
//
// Settings (all optional):
//
//	tls: true                  # handshake TLS after connecting
//	tls_server_name: db.local  # default: the target's host
//	tls_ca_file: /etc/ca.pem   # default: the system roots
//	tls_insecure_skip_verify: false
//	send: "PING\r\n"           # written after connecting
//	expect: "+PONG"            # the answer must contain this
//	expect_regexp: "^\\+PONG"  # or match this
//	max_read_bytes: 4096       # read at most this much of the answer
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/sloagent/sloagent/plugins/sdk"
)

type settings struct {
	TLS                bool   `json:"tls"`
	TLSServerName      string `json:"tls_server_name"`
	TLSCAFile          string `json:"tls_ca_file"`
	InsecureSkipVerify bool   `json:"tls_insecure_skip_verify"`
	Send               string `json:"send"`
	Expect             string `json:"expect"`
	ExpectRegexp       string `json:"expect_regexp"`
	MaxReadBytes       int    `json:"max_read_bytes"`
}

type plugin struct{}

func (plugin) Describe() sdk.Info {
	return sdk.Info{
		Name: "tcp", Version: "1.0.0",
		Description: "The Go SDK's example: connects to host:port, optionally with TLS, sends and expects a string.",
		Settings: []sdk.Setting{
			{Name: "tls", Description: "handshake TLS after connecting"},
			{Name: "tls_server_name", Description: "server name to verify (default: the target's host)"},
			{Name: "tls_ca_file", Description: "PEM file of CAs to trust instead of the system roots"},
			{Name: "tls_insecure_skip_verify", Description: "do not verify the certificate"},
			{Name: "send", Description: "string written after connecting"},
			{Name: "expect", Description: "the answer must contain this string"},
			{Name: "expect_regexp", Description: "the answer must match this regular expression"},
			{Name: "max_read_bytes", Description: "read at most this many bytes of the answer (default 4096)"},
		},
	}
}

// parse reads a probe's settings and target, as Probe needs them; the
// problems are what Validate reports.
func parse(req sdk.Request) (s settings, re *regexp.Regexp, host string, problems []sdk.Problem) {
	if err := req.Decode(&s); err != nil {
		return s, nil, "", []sdk.Problem{sdk.DecodeProblem(err)}
	}
	if s.ExpectRegexp != "" {
		var err error
		if re, err = regexp.Compile(s.ExpectRegexp); err != nil {
			problems = append(problems, sdk.SettingProblem("expect_regexp", "%v", err))
		}
	}
	if s.MaxReadBytes < 0 {
		problems = append(problems, sdk.SettingProblem("max_read_bytes", "must be positive, got %d", s.MaxReadBytes))
	}
	if s.MaxReadBytes <= 0 {
		s.MaxReadBytes = 4096
	}
	host, _, err := net.SplitHostPort(req.Target)
	if err != nil {
		problems = append(problems, sdk.TargetProblem("%q is not host:port: %v", req.Target, err))
	}
	if s.TLSCAFile != "" {
		if _, err := tlsConfig(s, host); err != nil {
			problems = append(problems, sdk.SettingProblem("tls_ca_file", "%v", err))
		}
	}
	return s, re, host, problems
}

// Validate reports what Probe would refuse, without connecting.
func (plugin) Validate(req sdk.Request) []sdk.Problem {
	_, _, _, problems := parse(req)
	return problems
}

func (plugin) Probe(ctx context.Context, req sdk.Request) sdk.Response {
	s, re, host, problems := parse(req)
	if len(problems) > 0 {
		p := problems[0]
		switch {
		case p.Target:
			return sdk.Fail(sdk.ReasonConfig, "target %s", p.Message)
		case p.Setting != "":
			return sdk.Fail(sdk.ReasonConfig, "bad %s: %s", p.Setting, p.Message)
		}
		return sdk.Fail(sdk.ReasonConfig, "bad settings: %s", p.Message)
	}
	var resp sdk.Response
	phase := func(name string, d time.Duration) {
		resp.Metrics = append(resp.Metrics, sdk.Metric{Name: "probe_tcp_duration_seconds",
			Help: "Duration of the phases of the TCP probe.", Labels: map[string]string{"phase": name}, Value: d.Seconds()})
	}
	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", req.Target)
	if err != nil {
		return fail(ctx, resp, sdk.ReasonConnect, "connect: %v", err)
	}
	defer conn.Close()
	phase("connect", time.Since(start))
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if s.TLS {
		t := time.Now()
		cfg, err := tlsConfig(s, host)
		if err != nil {
			return sdk.Fail(sdk.ReasonConfig, "tls_ca_file: %v", err)
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(ctx, resp, sdk.ReasonTLS, "TLS handshake: %v", err)
		}
		phase("tls", time.Since(t))
		var earliest time.Time
		for _, c := range tc.ConnectionState().PeerCertificates {
			if earliest.IsZero() || c.NotAfter.Before(earliest) {
				earliest = c.NotAfter
			}
		}
		if !earliest.IsZero() {
			resp.Metrics = append(resp.Metrics, sdk.Metric{Name: "probe_ssl_earliest_cert_expiry",
				Help: "Earliest expiry of the certificates the server sent, as a Unix time.", Value: float64(earliest.Unix())})
		}
		conn = tc
	}
	if s.Send == "" && s.Expect == "" && re == nil {
		resp.Success, resp.Message = true, "connected to "+req.Target
		return resp
	}
	t := time.Now()
	if s.Send != "" {
		if _, err := conn.Write([]byte(s.Send)); err != nil {
			return fail(ctx, resp, sdk.ReasonConnect, "send: %v", err)
		}
	}
	if s.Expect == "" && re == nil {
		resp.Success, resp.Message = true, "sent to "+req.Target
		return resp
	}
	got, err := readUntil(conn, s.MaxReadBytes, func(b []byte) bool {
		return (s.Expect != "" && strings.Contains(string(b), s.Expect)) || (re != nil && re.Match(b))
	})
	phase("exchange", time.Since(t))
	if err == nil {
		resp.Success, resp.Message = true, fmt.Sprintf("answer matched (%d bytes)", len(got))
		return resp
	}
	// A precision cuts the quoted answer after 120 characters, not bytes,
	// so a cut never splits one.
	return fail(ctx, resp, sdk.ReasonAssertion, "answer %.120q does not match: %v", got, err)
}

// readUntil reads until match says yes, the peer closes, or limit bytes.
func readUntil(c net.Conn, limit int, match func([]byte) bool) ([]byte, error) {
	buf := make([]byte, 0, min(limit, 4096))
	tmp := make([]byte, 1024)
	for len(buf) < limit {
		n, err := c.Read(tmp[:min(len(tmp), limit-len(buf))])
		buf = append(buf, tmp[:n]...)
		if match(buf) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, fmt.Errorf("no match in the first %d bytes", limit)
}

// fail reports a timeout as such, whatever the operation it interrupted.
func fail(ctx context.Context, resp sdk.Response, reason, format string, args ...any) sdk.Response {
	err := fmt.Sprintf(format, args...)
	if ctx.Err() != nil || isTimeout(args) {
		reason = sdk.ReasonTimeout
	}
	resp.Reason, resp.Message = reason, err
	return resp
}

func isTimeout(args []any) bool {
	for _, a := range args {
		if e, ok := a.(error); ok {
			var ne net.Error
			if errors.As(e, &ne) && ne.Timeout() {
				return true
			}
		}
	}
	return false
}

func tlsConfig(s settings, host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, InsecureSkipVerify: s.InsecureSkipVerify}
	if s.TLSServerName != "" {
		cfg.ServerName = s.TLSServerName
	}
	if s.TLSCAFile != "" {
		pem, err := os.ReadFile(s.TLSCAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", s.TLSCAFile)
		}
	}
	return cfg, nil
}

func main() { sdk.Serve(plugin{}) }
