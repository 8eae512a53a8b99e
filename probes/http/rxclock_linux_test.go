package http

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

// The time a read reports is when the data reached the host, even if the
// read came later: between the peer's write and the read.
func TestRxClockTimesArrival(t *testing.T) {
	stampsOn()
	// Linux turns stamping on in a work item of its own after the first
	// socket asks for it.
	testutil.WaitFor(t, "the kernel to stamp received packets", func() bool {
		_, _, _, ok := exchangeTimed(t)
		return ok
	})
	sent, reading, at, ok := exchangeTimed(t)
	if !ok {
		t.Fatal("no receive time")
	}
	if at.Before(sent.Round(0)) || at.After(reading.Round(0)) {
		t.Errorf("received at %s, want between the write at %s and the read at %s", at, sent, reading)
	}
}

// exchangeTimed has a peer write once the reader's clock is on, and reads
// it: when the peer wrote, when the read began, and the receive time.
func exchangeTimed(t *testing.T) (sent, reading, at time.Time, ok bool) {
	t.Helper()
	a, b := tcpPair(t)
	var c rxClock
	c.start(a)
	if _, ok := c.received(); ok {
		t.Fatal("a time before any read")
	}
	sent = time.Now()
	if _, err := b.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	reading = time.Now()
	buf := make([]byte, 16)
	n, err := c.readFrom(a, buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	at, ok = c.received()
	return sent, reading, at, ok
}

// Reads through the clock end as the connection's own do: at the end of
// the stream, and at the deadline with a timeout.
func TestRxClockEnds(t *testing.T) {
	a, b := tcpPair(t)
	var c rxClock
	c.start(a)
	_ = a.SetReadDeadline(time.Now().Add(-time.Second))
	_, err := c.readFrom(a, make([]byte, 8))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("read past the deadline: %v, want a timeout", err)
	}
	_ = a.SetReadDeadline(time.Time{})
	b.Close()
	if n, err := c.readFrom(a, make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("read at the end: %d, %v, want io.EOF", n, err)
	}
}

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}
