package http

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	sys "golang.org/x/sys/unix"
)

// rxClock reads a plain-HTTP connection with recvmsg and keeps the time at
// which the kernel received the data of the latest read (SO_TIMESTAMPNS),
// so that a run ends when its response arrived rather than when the agent
// got round to reading it. Between the two lies the agent's own wake-up:
// with two runs of a probe at once measured against a target answering in
// exactly 100 ms, a run whose response came during a garbage collection
// read it a few milliseconds late, on a machine short of CPU tens of
// milliseconds, all of which was counted as the target's. The kernel's
// time is taken as the segment arrives, whatever the agent is doing.
type rxClock struct {
	raw  syscall.RawConn // nil: plain reads, no times
	at   int64           // Unix nanoseconds; 0 until a read returns data with a time
	read func(fd uintptr) bool

	p   []byte
	n   int
	err error
	oob [32]byte // one cmsg of a timespec
}

// stampsOn keeps the kernel stamping received packets. Linux stamps them
// only while some socket asks for it, and turns stamping on in a deferred
// work item when the first socket asks: a connection of its own would
// often get its response before that ran, and no time. One socket kept
// asking for the life of the process keeps it on.
var stampsOn = sync.OnceFunc(func() {
	fd, err := sys.Socket(sys.AF_INET, sys.SOCK_DGRAM|sys.SOCK_CLOEXEC, 0)
	if err != nil {
		return
	}
	if sys.SetsockoptInt(fd, sys.SOL_SOCKET, sys.SO_TIMESTAMPNS, 1) != nil {
		_ = sys.Close(fd)
	}
})

// start turns on receive times for conn, if it is a TCP connection whose
// socket allows them; without them reads are plain reads.
func (c *rxClock) start(conn net.Conn) {
	stampsOn()
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = sys.SetsockoptInt(int(fd), sys.SOL_SOCKET, sys.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return
	}
	c.raw = raw
	c.read = c.recv
}

// recv is one recvmsg for RawConn.Read: false asks it to wait until the
// socket is readable (or the deadline passes).
func (c *rxClock) recv(fd uintptr) bool {
	n, oobn, _, _, err := sys.Recvmsg(int(fd), c.p, c.oob[:], 0)
	if err == sys.EAGAIN || err == sys.EINTR {
		return false
	}
	c.n, c.err = max(n, 0), err
	if err == nil {
		raceAcquire(fd)
	}
	if n > 0 && oobn >= sys.CmsgSpace(int(unsafe.Sizeof(sys.Timespec{}))) {
		h := (*sys.Cmsghdr)(unsafe.Pointer(&c.oob[0]))
		if h.Level == sys.SOL_SOCKET && h.Type == sys.SO_TIMESTAMPNS {
			ts := (*sys.Timespec)(unsafe.Pointer(&c.oob[sys.CmsgLen(0)]))
			c.at = ts.Nano()
		}
	}
	return true
}

// readFrom reads conn into p as conn.Read would, errors worded alike.
func (c *rxClock) readFrom(conn net.Conn, p []byte) (int, error) {
	if c.raw == nil || len(p) == 0 {
		return conn.Read(p)
	}
	c.p = p
	err := c.raw.Read(c.read)
	c.p = nil
	if err != nil { // the deadline, or the connection closed
		var op *net.OpError
		if errors.As(err, &op) {
			op.Op, op.Source, op.Addr = "read", conn.LocalAddr(), conn.RemoteAddr()
		}
		return 0, err
	}
	if c.err != nil {
		return c.n, &net.OpError{Op: "read", Net: "tcp", Source: conn.LocalAddr(), Addr: conn.RemoteAddr(), Err: os.NewSyscallError("read", c.err)}
	}
	if c.n == 0 {
		return 0, io.EOF
	}
	return c.n, nil
}

// received is when the kernel received the data of the latest read, and
// whether it is known.
func (c *rxClock) received() (time.Time, bool) {
	if c.at == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, c.at), true
}
