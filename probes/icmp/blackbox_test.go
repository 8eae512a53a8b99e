package icmp

import (
	"net"
	"slices"
	"testing"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// Side by side with the blackbox_exporter Debian ships (0.23): the same
// loopback targets, the same icmp section (but for blackbox's
// preferred_ip_protocol, which is ip_protocol here), the same values. 0.23
// sends one request a run, as sloagent does unless packets says otherwise;
// the round-trip statistics and packet counts are sloagent's own.

// comparedFamilies are the series a dashboard reads off both.
var comparedFamilies = []string{"probe_success", "probe_ip_protocol", "probe_icmp_reply_hop_limit"}

// sideBySide is a case: blackbox_exporter's icmp section, and ours where
// it is not the same.
type sideBySide struct{ name, target, icmp, ours string }

func TestSameValuesAsBlackboxExporter(t *testing.T) {
	cases := []sideBySide{
		{name: "ipv4", target: "127.0.0.1"},
		{name: "ipv6", target: "::1"},
		{name: "ipv6_prefer_ip4", target: "::1", icmp: "preferred_ip_protocol: ip4", ours: "ip_protocol: ip4"},
		// localhost has an IPv4 address; whether it has ::1 too
		// depends on the machine, and both look it up alike.
		{name: "name_ip4", target: "localhost", icmp: "preferred_ip_protocol: ip4", ours: "ip_protocol: ip4"},
		{name: "name_ip6", target: "localhost", icmp: "preferred_ip_protocol: ip6", ours: "ip_protocol: ip6"},
		{name: "name_ip6_no_fallback", target: "localhost",
			icmp: "preferred_ip_protocol: ip6, ip_protocol_fallback: false", ours: "ip_protocol: ip6, ip_protocol_fallback: false"},
		{name: "name_ip4_no_fallback", target: "localhost",
			icmp: "preferred_ip_protocol: ip4, ip_protocol_fallback: false", ours: "ip_protocol: ip4, ip_protocol_fallback: false"},
		{name: "dont_fragment", target: "127.0.0.1", icmp: "dont_fragment: true"},
		{name: "dont_fragment_ipv6", target: "::1", icmp: "dont_fragment: true"},
		{name: "payload_size", target: "127.0.0.1", icmp: "payload_size: 1400"},
		{name: "payload_size_ipv6", target: "::1", icmp: "payload_size: 1400"},
		{name: "large_dont_fragment", target: "127.0.0.1", icmp: "payload_size: 9000, dont_fragment: true"},
		{name: "ttl", target: "127.0.0.1", icmp: "ttl: 2"},
		{name: "ttl_ipv6", target: "::1", icmp: "ttl: 2"},
	}
	if !hasIPv6Loopback() {
		t.Log("no ::1 here: the IPv6 cases are left out")
		cases = slices.DeleteFunc(cases, func(c sideBySide) bool { return c.target == "::1" })
	}
	var modules probetest.Modules
	for _, c := range cases {
		modules.Add(c.name, "icmp", timeout.String(), c.icmp)
	}
	bb := probetest.StartBlackbox(t, modules.String())

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mfs := bb.Families(t, c.name, c.target)
			ours := c.ours
			if ours == "" {
				ours = c.icmp
			}
			res := probetest.Probe(t, &Kind, c.target, probetest.Section[Config](t, "{"+ours+"}"), timeout)
			if res.Reason == probes.ReasonConfig {
				t.Fatalf("this process may not send ICMP here: %s", res.Message)
			}
			for _, d := range probetest.Diff(probetest.RenderResult(res), probetest.Render(mfs), comparedFamilies...) {
				t.Errorf("%s (%s: %s)", d, res.Reason, res.Message)
			}
			var theirs, our []string
			for _, m := range mfs[Duration.Name].GetMetric() {
				for _, l := range m.GetLabel() {
					theirs = append(theirs, l.GetName()+"="+l.GetValue())
				}
			}
			for _, s := range res.Samples {
				if s.Name == Duration.Name {
					for _, l := range s.Labels {
						our = append(our, l.Name+"="+l.Value)
					}
				}
			}
			slices.Sort(theirs)
			slices.Sort(our)
			if !slices.Equal(our, theirs) {
				t.Errorf("%s labels: ours %v, blackbox_exporter's %v", Duration.Name, our, theirs)
			}
		})
	}
}

func hasIPv6Loopback() bool {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}
