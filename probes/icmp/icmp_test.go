package icmp

import (
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/netrun"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

const timeout = 2 * time.Second

func newProber(t *testing.T, target, src string, timeout time.Duration) probes.Prober {
	t.Helper()
	return probetest.New(t, &Kind, target, probetest.Section[Config](t, src), timeout)
}

// echo pings target and checks every request was answered.
func echo(t *testing.T, target string, proto float64) string {
	t.Helper()
	res, log := probetest.RunDebug(t, newProber(t, target, "{packets: 3, packet_interval: 10ms}", timeout), timeout)
	probetest.Declared(t, &Kind, res)
	if res.Reason == probes.ReasonConfig {
		t.Skipf("this process may not send ICMP here: %s", res.Message)
	}
	probetest.WantSuccess(t, res)
	for name, want := range map[string]float64{
		"probe_icmp_packets_sent": 3, "probe_icmp_packets_received": 3, "probe_icmp_packet_loss_ratio": 0,
		"probe_icmp_reply_hop_limit": 64, "probe_ip_protocol": proto,
	} {
		if got := probetest.Sample(t, res, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	rtt := probetest.Sample(t, res, "probe_icmp_duration_seconds", "rtt")
	if lo, hi := probetest.Sample(t, res, "probe_icmp_duration_rtt_min_seconds"), probetest.Sample(t, res, "probe_icmp_duration_rtt_max_seconds"); !(lo > 0 && lo <= rtt && rtt <= hi) {
		t.Errorf("round trips min %v mean %v max %v", lo, rtt, hi)
	}
	if !strings.HasPrefix(res.Message, "3 of 3 echo requests to "+target+" answered, mean round trip ") {
		t.Errorf("message %q", res.Message)
	}
	return log
}

func TestLoopbackIPv4(t *testing.T) { echo(t, "127.0.0.1", 4) }

func TestLoopbackIPv6(t *testing.T) { echo(t, "::1", 6) }

func TestUnknownHost(t *testing.T) {
	res := probetest.Run(t, newProber(t, "no-such-host.invalid", "{}", timeout), timeout)
	probetest.WantFail(t, res, probes.ReasonDNS, "lookup no-such-host.invalid: ")
}

// TestVerdict covers loss a loopback cannot produce: requests answered in
// part.
func TestVerdict(t *testing.T) {
	half := 0.5
	for _, tc := range []struct {
		maxLoss        *float64
		sent, received int
		reason, msg    string
	}{
		{nil, 5, 1, "", "1 of 5 echo requests to 192.0.2.1 answered"},
		{nil, 5, 0, probes.ReasonTimeout, "no echo reply from 192.0.2.1 to 5 echo requests within"},
		{&half, 4, 2, "", "2 of 4 echo requests to 192.0.2.1 answered"},
		{&half, 5, 2, ReasonPacketLoss, "3 of 5 echo requests to 192.0.2.1 unanswered (60% lost, more than max_packet_loss 50%)"},
	} {
		c := &Config{MaxPacketLoss: tc.maxLoss, Packets: tc.sent}
		p, err := New("192.0.2.1", c, 0)
		if err != nil {
			t.Fatal(err)
		}
		r := &run{Run: netrun.Run{Ctx: t.Context(), Start: time.Now()}, p: p.(*prober), sent: tc.sent, received: tc.received}
		res := r.verdict([]byte{192, 0, 2, 1})
		if tc.reason == "" {
			probetest.WantSuccess(t, res)
			if !strings.HasPrefix(res.Message, tc.msg) {
				t.Errorf("message %q, want %q", res.Message, tc.msg)
			}
			continue
		}
		probetest.WantFail(t, res, tc.reason, tc.msg)
	}
}

func TestCheckTimeout(t *testing.T) {
	if err := probetest.Section[Config](t, "{packets: 6, packet_interval: 1s}").CheckTimeout(5 * time.Second); err == nil ||
		err.Error() != "6 packets 1s apart take 5s to send, which leaves no time for replies within the timeout 5s" {
		t.Errorf("CheckTimeout: %v", err)
	}
	if err := probetest.Section[Config](t, "{packets: 5, packet_interval: 1s}").CheckTimeout(5 * time.Second); err != nil {
		t.Errorf("CheckTimeout: %v", err)
	}
	if _, err := New("127.0.0.1", probetest.Section[Config](t, "{packets: 20}"), time.Second); err == nil {
		t.Error("New accepted 20 packets 100ms apart in a 1s timeout")
	}
}

func TestTargets(t *testing.T) {
	for target, want := range map[string]string{
		"example.test": "example.test", "192.0.2.1": "192.0.2.1", "::1": "::1", "[::1]": "::1",
		"example.test:80":      "",
		"http://example.test/": "",
	} {
		got, err := parseTarget(target)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("parseTarget(%q) = %q, %v", target, got, err)
		}
	}
}
