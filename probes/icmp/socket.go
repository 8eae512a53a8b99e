package icmp

import (
	"errors"
	"net"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// conn is an open ICMP socket of one family. A datagram socket (an
// unprivileged "ping socket") gets only the replies to its own requests,
// with the kernel's identifier in them; a raw socket gets every ICMP
// message the host receives.
type conn struct {
	pc       net.PacketConn
	p4       *ipv4.PacketConn
	p6       *ipv6.PacketConn
	datagram bool
}

func (c *conn) Close() error { return c.pc.Close() }

// open opens a socket for v6 or v4: a datagram socket where the system
// allows this process one, else a raw socket. It remembers a refused
// datagram socket, so that later runs go straight to raw.
func (p *prober) open(v6 bool, src net.IP) (*conn, error) {
	fam := 0
	if v6 {
		fam = 1
	}
	var dgramErr error
	if datagramSupported && !p.noDatagram[fam].Load() {
		pc, err := listenDatagram(v6, src)
		if err == nil {
			return p.wrap(pc, v6, true)
		}
		dgramErr = err
		if isPermission(err) {
			p.noDatagram[fam].Store(true)
		}
	}
	network, laddr := "ip4:icmp", "0.0.0.0"
	if v6 {
		network, laddr = "ip6:ipv6-icmp", "::"
	}
	if src != nil {
		laddr = src.String()
	}
	pc, err := net.ListenPacket(network, laddr)
	if err != nil {
		return nil, &socketError{datagram: dgramErr, raw: err}
	}
	return p.wrap(pc, v6, false)
}

func (p *prober) wrap(pc net.PacketConn, v6, datagram bool) (*conn, error) {
	c := &conn{pc: pc, datagram: datagram}
	var err error
	if v6 {
		c.p6 = ipv6.NewPacketConn(pc)
		err = c.p6.SetHopLimit(p.ttl)
		if err == nil && !datagram {
			// A raw socket would otherwise wake for every ICMPv6
			// message the host receives (neighbour discovery...).
			var f ipv6.ICMPFilter
			f.SetAll(true)
			f.Accept(ipv6.ICMPTypeEchoReply)
			err = c.p6.SetICMPFilter(&f)
		}
		// Without the hop limit of replies the series is left out.
		_ = c.p6.SetControlMessage(ipv6.FlagHopLimit, true)
	} else {
		c.p4 = ipv4.NewPacketConn(pc)
		err = c.p4.SetTTL(p.ttl)
		_ = c.p4.SetControlMessage(ipv4.FlagTTL, true)
	}
	if err == nil && p.dontFragment {
		err = setDontFragment(pc, v6)
	}
	if err != nil {
		pc.Close()
		return nil, err
	}
	return c, nil
}

// socketError is a failure to open any ICMP socket.
type socketError struct {
	datagram, raw error // datagram is nil where the system has none
}

func (e *socketError) Error() string {
	if isPermission(e.raw) && (e.datagram == nil || isPermission(e.datagram)) {
		return permissionMessage(e.datagram != nil, e.raw)
	}
	msg := "cannot open an ICMP socket: "
	if e.datagram != nil && !isPermission(e.datagram) {
		msg += "datagram: " + e.datagram.Error() + "; raw: "
	}
	return msg + e.raw.Error()
}

func (e *socketError) permission() bool {
	return isPermission(e.raw) && (e.datagram == nil || isPermission(e.datagram))
}

func isPermission(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, os.ErrPermission)
}

func itoa(i int) string { return strconv.Itoa(i) }
