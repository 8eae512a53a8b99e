//go:build !linux

package http

import (
	"net"
	"time"
)

// rxClock would give the kernel's receive time of the data read; only
// Linux gives one (SO_TIMESTAMPNS), so elsewhere runs end when the agent
// reads their response.
type rxClock struct{}

func stampsOn() {}

func (*rxClock) start(net.Conn) {}

func (*rxClock) readFrom(conn net.Conn, p []byte) (int, error) { return conn.Read(p) }

func (*rxClock) received() (time.Time, bool) { return time.Time{}, false }
