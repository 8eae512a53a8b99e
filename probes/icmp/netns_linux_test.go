package icmp

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// These tests run in a network namespace of their own, where the sysctls
// that decide what a process may do with ICMP can be set without touching
// the host's: the test binary runs itself again in a new namespace, and the
// child sets it up (loopback up, net.ipv4.ping_group_range, ...) and, where
// the case needs it, drops root for the nobody user.

const netnsEnv = "SLOAGENT_ICMP_NETNS"

// inNetns tells whether this is the child; in the parent it runs the test
// in a new namespace and reports its outcome.
func inNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), netnsEnv+"="+t.Name())
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.CombinedOutput()
	var pe *os.PathError
	if errors.As(err, &pe) || errors.Is(err, syscall.EPERM) {
		t.Skipf("cannot start a process in a new network namespace (needs root): %v", err)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("in a new network namespace: %v\n%s", err, out)
	}
	return false
}

// setupNetns brings the loopback interface up and writes sysctls (path
// under /proc/sys/net: value).
func setupNetns(t *testing.T, sysctls map[string]string) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		t.Fatal(err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		t.Fatal(err)
	}
	for k, v := range sysctls {
		if k == "mtu" {
			mtu, _ := unix.NewIfreq("lo")
			mtu.SetUint32(1280)
			if err := unix.IoctlIfreq(fd, unix.SIOCSIFMTU, mtu); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile("/proc/sys/net/"+k, []byte(v), 0); err != nil {
			t.Fatal(err)
		}
	}
}

// dropRoot makes the process nobody, without capabilities.
func dropRoot(t *testing.T) {
	t.Helper()
	if err := syscall.Setgroups(nil); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setgid(65534); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setuid(65534); err != nil {
		t.Fatal(err)
	}
}

// TestDatagramSocket: a process in ping_group_range pings without root.
func TestDatagramSocket(t *testing.T) {
	if !inNetns(t) {
		return
	}
	setupNetns(t, map[string]string{"ipv4/ping_group_range": "65534 65534"})
	dropRoot(t)
	for _, tc := range []struct {
		target string
		proto  float64
	}{{"127.0.0.1", 4}, {"::1", 6}} {
		if log := echo(t, tc.target, tc.proto); !strings.Contains(log, "msg=socket datagram=true") {
			t.Errorf("not a datagram socket:\n%s", log)
		}
	}
}

// TestRawSocket: root outside ping_group_range uses a raw socket.
func TestRawSocket(t *testing.T) {
	if !inNetns(t) {
		return
	}
	setupNetns(t, map[string]string{"ipv4/ping_group_range": "1 0"})
	for _, tc := range []struct {
		target string
		proto  float64
	}{{"127.0.0.1", 4}, {"::1", 6}} {
		if log := echo(t, tc.target, tc.proto); !strings.Contains(log, "msg=socket datagram=false") {
			t.Errorf("not a raw socket:\n%s", log)
		}
	}
}

// TestNoPermission: neither socket is allowed, and the message says why.
func TestNoPermission(t *testing.T) {
	if !inNetns(t) {
		return
	}
	setupNetns(t, map[string]string{"ipv4/ping_group_range": "1 0"})
	dropRoot(t)
	for _, target := range []string{"127.0.0.1", "::1"} {
		res := probetest.Run(t, newProber(t, target, "{}", timeout), timeout)
		probetest.WantFail(t, res, probes.ReasonConfig, `no permission to send ICMP: unprivileged ICMP (datagram) sockets are allowed only to groups in net.ipv4.ping_group_range, which is "1 0" and does not include this process's group (gid 65534), and raw ICMP sockets need root or CAP_NET_RAW (`)
		probetest.WantFail(t, res, probes.ReasonConfig, `or grant CAP_NET_RAW (setcap cap_net_raw+ep on the binary, or AmbientCapabilities=CAP_NET_RAW in the systemd unit)`)
	}
}

// TestNoReply: a host that ignores echo requests times the run out.
func TestNoReply(t *testing.T) {
	if !inNetns(t) {
		return
	}
	setupNetns(t, map[string]string{"ipv4/icmp_echo_ignore_all": "1", "ipv6/icmp/echo_ignore_all": "1"})
	for _, target := range []string{"127.0.0.1", "::1"} {
		p := newProber(t, target, "{packets: 2, packet_interval: 50ms}", 300*time.Millisecond)
		res := probetest.Run(t, p, 300*time.Millisecond)
		probetest.WantFail(t, res, probes.ReasonTimeout, "no echo reply from "+target+" to 2 echo requests within 300ms")
		if got := probetest.Sample(t, res, "probe_icmp_packet_loss_ratio"); got != 1 {
			t.Errorf("loss = %v", got)
		}
		if got := probetest.Sample(t, res, "probe_icmp_packets_sent"); got != 2 {
			t.Errorf("sent = %v", got)
		}
		if _, ok := probetest.Find(res, "probe_icmp_reply_hop_limit"); ok {
			t.Error("a hop limit without a reply")
		}
	}
}

// TestDontFragment: on a loopback with a 1280-byte MTU, 2000 bytes go as
// fragments unless dont_fragment forbids it.
func TestDontFragment(t *testing.T) {
	if !inNetns(t) {
		return
	}
	setupNetns(t, map[string]string{"mtu": "1280"})
	for _, target := range []string{"127.0.0.1", "::1"} {
		res := probetest.Run(t, newProber(t, target, "{payload_size: 2000}", timeout), timeout)
		probetest.WantSuccess(t, res)
		res = probetest.Run(t, newProber(t, target, "{payload_size: 2000, dont_fragment: true}", timeout), timeout)
		probetest.WantFail(t, res, probes.ReasonConnect, "sending an echo request to "+target+": ")
		probetest.WantFail(t, res, probes.ReasonConnect, "message too long")
		probetest.WantSuccess(t, probetest.Run(t, newProber(t, target, "{payload_size: 1000, dont_fragment: true}", timeout), timeout))
	}
}

// TestTTL: the ttl is set on the socket; one hop of loopback does not use
// it up, so the run succeeds.
func TestTTL(t *testing.T) {
	if !inNetns(t) {
		return
	}
	setupNetns(t, nil)
	for _, target := range []string{"127.0.0.1", "::1"} {
		res, log := probetest.RunDebug(t, newProber(t, target, "{ttl: 1}", timeout), timeout)
		probetest.WantSuccess(t, res)
		if !strings.Contains(log, " ttl=1 ") {
			t.Errorf("ttl not set:\n%s", log)
		}
	}
}
