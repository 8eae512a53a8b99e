// Package listen is how the benchmark's own servers (benchtarget,
// kindtarget) start and say where they serve: on 127.0.0.1 only, with one
// line "listening ADDR [ADDR...]" on stdout once they accept, which the
// harness reads.
package listen

import (
	"fmt"
	"io"
	"net"
	"strings"
)

// TCP listens on addr (host:port), whose host must be 127.0.0.1: nothing
// the benchmark serves is reachable from beyond the machine.
func TCP(addr string) (net.Listener, error) {
	if err := loopback(addr); err != nil {
		return nil, err
	}
	return net.Listen("tcp", addr)
}

// UDP is TCP for datagrams.
func UDP(addr string) (net.PacketConn, error) {
	if err := loopback(addr); err != nil {
		return nil, err
	}
	return net.ListenPacket("udp", addr)
}

func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host != "127.0.0.1" {
		return fmt.Errorf("%s: the benchmark serves on 127.0.0.1 only", addr)
	}
	return nil
}

// Announce writes the line the harness waits for.
func Announce(w io.Writer, addrs ...net.Addr) {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	fmt.Fprintf(w, "listening %s\n", strings.Join(s, " "))
}

// Parse reads an announced line: its n addresses.
func Parse(line string, n int) ([]string, error) {
	f := strings.Fields(line)
	if len(f) != n+1 || f[0] != "listening" {
		return nil, fmt.Errorf("not a line of %d listening addresses: %q", n, line)
	}
	return f[1:], nil
}
