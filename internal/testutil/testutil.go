// Package testutil holds what the tests of several packages share: real
// servers on loopback (TCP, DNS, and programs such as Prometheus), a test
// PKI, free ports and waiting for a condition. Nothing here is a stand-in
// for a real component: the servers are real servers a test scripts.
package testutil

import (
	"net"
	"strconv"
	"testing"
	"time"
)

// FreeAddr returns a loopback host:port that was free a moment ago, for a
// program that must be told its address, or for a target whose connections
// are refused.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// FreePort is FreeAddr's port.
func FreePort(t testing.TB) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	n, _ := strconv.Atoi(port)
	return n
}

// WaitFor polls cond until it holds, failing the test after a generous
// bound (what is waited for happens in milliseconds; the bound only keeps
// a broken test from hanging).
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ServeTCP accepts connections on a loopback port and hands each to handle
// on a goroutine of its own, for targets that misbehave below HTTP (a head
// that never ends, a handshake that never comes). Connections still open
// when the test ends are closed.
func ServeTCP(t testing.TB, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				go func() { <-done; c.Close() }()
				handle(c.(*net.TCPConn))
			}()
		}
	}()
	return ln.Addr().String()
}
