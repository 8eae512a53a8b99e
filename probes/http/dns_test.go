package http

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// dnsServer answers A and AAAA queries from zone on a loopback UDP port and
// returns a resolver that asks it, so address-family tests do not depend
// on /etc/hosts.
func dnsServer(t *testing.T, zone map[string][]net.IP) *net.Resolver {
	t.Helper()
	var records []string
	for name, ips := range zone {
		for _, ip := range ips {
			typ := "AAAA"
			if ip.To4() != nil {
				typ = "A"
			}
			records = append(records, name+". 60 IN "+typ+" "+ip.String())
		}
	}
	return testutil.Resolver(testutil.ServeDNS(t, "udp", testutil.Zone(t, records...), nil))
}

// dualServer listens on the same port on 127.0.0.1 and ::1; the result's
// message names the address the probe connected to.
func dualServer(t *testing.T) (port string) {
	t.Helper()
	ln4, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ = net.SplitHostPort(ln4.Addr().String())
	ln6, err := net.Listen("tcp6", "[::1]:"+port)
	if err != nil {
		ln4.Close()
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	for _, ln := range []net.Listener{ln4, ln6} {
		s := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(ok)}}
		s.Start()
		t.Cleanup(s.Close)
	}
	return port
}

func TestIPProtocol(t *testing.T) {
	port := dualServer(t)
	resolver := dnsServer(t, map[string][]net.IP{
		"dual.test": {net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		"v4.test":   {net.ParseIP("127.0.0.1")},
		"v6.test":   {net.ParseIP("::1")},
	})
	for _, tc := range []struct {
		host, cfg string
		want      float64 // probe_ip_protocol; 0 for a dns failure
		msg       string
	}{
		{"dual.test", "", 4, ""},
		{"dual.test", "ip_protocol: ip6", 6, ""},
		{"v6.test", "", 6, ""}, // ip4 preferred, falls back
		{"v4.test", "ip_protocol: ip6", 4, ""},
		{"v6.test", "ip_protocol_fallback: false", 0, "lookup v6.test: no such host (ip4 only)"},
		{"v4.test", "{ip_protocol: ip6, ip_protocol_fallback: false}", 0, "lookup v4.test: no such host (ip6 only)"},
		{"missing.test", "", 0, "lookup missing.test: no such host"},
		{"[::1]", "", 6, ""},
	} {
		t.Run(tc.host+" "+tc.cfg, func(t *testing.T) {
			c := &Config{}
			if tc.cfg != "" {
				c = probetest.Section[Config](t, tc.cfg)
			}
			p := newProber(t, "http://"+tc.host+":"+port+"/", c)
			p.resolver = resolver
			res := probetest.Run(t, p, probeTimeout)
			if tc.msg != "" {
				probetest.WantFail(t, res, probes.ReasonDNS, tc.msg)
			} else {
				probetest.WantSuccess(t, res)
			}
			if v := probetest.Sample(t, res, MetricIPProtocol); v != tc.want {
				t.Errorf("probe_ip_protocol = %v, want %v", v, tc.want)
			}
			if tc.want == 6 && !strings.Contains(res.Message, "[::1]:") {
				t.Errorf("message %q does not show the IPv6 address", res.Message)
			}
			if !strings.HasPrefix(tc.host, "[") && probetest.Sample(t, res, MetricDuration, "resolve") <= 0 {
				t.Error("resolve phase not timed")
			}
		})
	}
}

func TestDNSTimeout(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() }) // reads nothing, answers nothing
	addr := pc.LocalAddr().String()
	p := newProber(t, "http://silent.test/", nil)
	p.resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp4", addr)
	}}
	res := probetest.Run(t, p, shortTimeout)
	probetest.WantFail(t, res, probes.ReasonTimeout, "timed out after 500ms while resolving the name (resolve phase)")
	if v := probetest.Sample(t, res, MetricDuration, "resolve"); v < 0.25 {
		t.Errorf("resolve phase %vs, it lasted the whole run", v)
	}
}
