package icmp

import (
	"net"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	datagramSupported     = true
	dontFragmentSupported = true
)

// listenDatagram opens an unprivileged ICMP socket, which Linux allows to
// processes whose group is in net.ipv4.ping_group_range (both families).
func listenDatagram(v6 bool, src net.IP) (net.PacketConn, error) {
	family, proto := unix.AF_INET, unix.IPPROTO_ICMP
	if v6 {
		family, proto = unix.AF_INET6, unix.IPPROTO_ICMPV6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if src != nil {
		var sa unix.Sockaddr
		if v6 {
			a := &unix.SockaddrInet6{}
			copy(a.Addr[:], src.To16())
			sa = a
		} else {
			a := &unix.SockaddrInet4{}
			copy(a.Addr[:], src.To4())
			sa = a
		}
		if err := unix.Bind(fd, sa); err != nil {
			unix.Close(fd)
			return nil, os.NewSyscallError("bind", err)
		}
	}
	f := os.NewFile(uintptr(fd), "icmp")
	defer f.Close() // FilePacketConn holds its own copy
	return net.FilePacketConn(f)
}

// setDontFragment makes the kernel refuse to fragment the socket's packets
// (the DF bit on IPv4), on datagram and raw sockets alike.
func setDontFragment(pc net.PacketConn, v6 bool) error {
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		if v6 {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER, unix.IPV6_PMTUDISC_DO)
		} else {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO)
		}
	})
	if err != nil {
		return err
	}
	return os.NewSyscallError("setsockopt", serr)
}

// permissionMessage says which permission is missing and how to grant one.
func permissionMessage(triedDatagram bool, rawErr error) string {
	rng := "unreadable"
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range"); err == nil {
		rng = strings.Join(strings.Fields(string(b)), " ")
	}
	return "no permission to send ICMP: unprivileged ICMP (datagram) sockets are allowed only to groups in " +
		"net.ipv4.ping_group_range, which is \"" + rng + "\" and does not include this process's group (gid " +
		itoa(os.Getgid()) + "), and raw ICMP sockets need root or CAP_NET_RAW (" + rawErr.Error() + "); " +
		"either widen the range (sysctl net.ipv4.ping_group_range=\"0 2147483647\") " +
		"or grant CAP_NET_RAW (setcap cap_net_raw+ep on the binary, or AmbientCapabilities=CAP_NET_RAW in the systemd unit)"
}
