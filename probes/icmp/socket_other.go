//go:build !linux

package icmp

import (
	"errors"
	"net"
	"runtime"
)

// Elsewhere only raw sockets are used: Linux's ping sockets differ from
// other systems' in what they let a process do.
const (
	datagramSupported     = false
	dontFragmentSupported = false
)

func listenDatagram(bool, net.IP) (net.PacketConn, error) {
	return nil, errors.New("no datagram ICMP sockets on " + runtime.GOOS)
}

func setDontFragment(net.PacketConn, bool) error {
	return errors.New("dont_fragment is supported on Linux only")
}

func permissionMessage(_ bool, rawErr error) string {
	if runtime.GOOS == "windows" {
		return "no permission to send ICMP: raw ICMP sockets need the agent to run as an administrator (" + rawErr.Error() + ")"
	}
	return "no permission to send ICMP: raw ICMP sockets need root (" + rawErr.Error() + ")"
}
