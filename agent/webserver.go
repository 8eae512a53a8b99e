package agent

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The web server's time limits. A connection that sends nothing, or keeps
// a request half sent, is closed after webReadHeaderTimeout; an idle
// keep-alive one after webIdleTimeout; a response may take
// webWriteTimeout (a debug run extends its own to the probe's timeout).
const (
	webReadHeaderTimeout = 10 * time.Second
	webReadTimeout       = 30 * time.Second
	webWriteTimeout      = time.Minute
	webIdleTimeout       = 90 * time.Second
)

// DefaultMaxConnections bounds the web server's open connections, as
// Prometheus's --web.max-connections does; fewer where the file descriptor
// limit asks for it (see webConnLimit).
const DefaultMaxConnections = 512

// webConnShare is the part of the file descriptor limit the web server may
// take: the rest is kept for probes (a socket, a check's pipes, a browser's
// files), so that clients of the port cannot make every run fail with "too
// many open files".
const webConnShare = 4

// webConnLimit is the most connections the web server keeps open: limit,
// but no more than a quarter of the file descriptors this process may
// open, and at least a few.
func webConnLimit(limit int) int {
	if fds := raiseFileLimit(); fds > 0 {
		limit = min(limit, int(fds/webConnShare))
	}
	return max(limit, 4)
}

func newWebServer(h http.Handler, g *connGuard) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: webReadHeaderTimeout,
		ReadTimeout:       webReadTimeout,
		WriteTimeout:      webWriteTimeout,
		IdleTimeout:       webIdleTimeout,
		ConnState:         g.connState,
	}
}

// connGuard keeps the web server's connections under a limit. When a new
// one would pass it, the longest idle keep-alive connection is closed to
// make room (it costs a descriptor and serves no one), or else the longest
// one that has sent no request for newGrace; if there is none, the new one
// is closed at once. Both are counted.
type connGuard struct {
	max              int
	open             prometheus.Gauge
	refused, evicted prometheus.Counter

	mu    sync.Mutex
	conns map[net.Conn]*connInfo // by the accepted connection
}

type connInfo struct {
	state http.ConnState // new, active or idle
	since time.Time      // when it entered the state
}

// newGrace is how long a new connection may take to send its request before
// it may be closed to make room: a client sends one at once, and a new one
// must not be pushed out by the next ones.
const newGrace = time.Second

func newConnGuard(max int, m *selfMetrics) *connGuard {
	m.webMaxConns.Set(float64(max))
	return &connGuard{max: max, open: m.webConns, refused: m.webRefused, evicted: m.webEvicted,
		conns: map[net.Conn]*connInfo{}}
}

// listener wraps ln so that what it accepts is under the guard.
func (g *connGuard) listener(ln net.Listener) net.Listener { return &guardedListener{ln, g} }

type guardedListener struct {
	net.Listener
	g *connGuard
}

func (l *guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.g.admit(c) {
			return c, nil
		}
		c.Close()
	}
}

// admit takes c under the guard, closing a waiting connection to make room;
// false means there is none and c is refused.
func (g *connGuard) admit(c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.conns) >= g.max {
		victim := g.victim(time.Now())
		if victim == nil {
			g.refused.Inc()
			return false
		}
		delete(g.conns, victim)
		victim.Close()
		g.evicted.Inc()
	}
	g.conns[c] = &connInfo{state: http.StateNew, since: time.Now()}
	g.open.Set(float64(len(g.conns)))
	return true
}

// victim is the connection to close for a new one: the longest idle, or
// else the longest silent past newGrace; nil if none may go.
func (g *connGuard) victim(now time.Time) net.Conn {
	var idle, silent net.Conn
	var idleSince, silentSince time.Time
	for c, info := range g.conns {
		switch {
		case info.state == http.StateIdle && (idle == nil || info.since.Before(idleSince)):
			idle, idleSince = c, info.since
		case info.state == http.StateNew && now.Sub(info.since) >= newGrace && (silent == nil || info.since.Before(silentSince)):
			silent, silentSince = c, info.since
		}
	}
	if idle != nil {
		return idle
	}
	return silent
}

// connState follows the server's view of each connection.
func (g *connGuard) connState(c net.Conn, s http.ConnState) {
	if tc, ok := c.(*tls.Conn); ok { // the guard knows the connection under TLS
		c = tc.NetConn()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	info, ok := g.conns[c]
	if !ok {
		return
	}
	switch s {
	case http.StateActive, http.StateIdle:
		info.state, info.since = s, time.Now()
	case http.StateClosed, http.StateHijacked:
		delete(g.conns, c)
		g.open.Set(float64(len(g.conns)))
	}
}
