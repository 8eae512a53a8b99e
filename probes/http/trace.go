package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"

	"github.com/quic-go/quic-go/http3"
	"golang.org/x/net/publicsuffix"

	"github.com/sloagent/sloagent/internal/times"
)

// phase is one of the stages blackbox_exporter times a request in.
type phase int

const (
	phaseResolve phase = iota
	phaseConnect
	phaseTLS
	phaseProcessing
	phaseTransfer
	numPhases
)

var phaseNames = [numPhases]string{"resolve", "connect", "tls", "processing", "transfer"}

// phaseDoing says what a run was doing in a phase, for timeout messages.
var phaseDoing = [numPhases]string{
	"resolving the name",
	"connecting",
	"in the TLS handshake",
	"waiting for the response",
	"reading the body",
}

func (ph phase) String() string { return phaseNames[ph] }

type runKey struct{}

// run is the state of one probe run. The transport calls the trace hooks
// and the dialer from its own goroutines, and a dial may still be finishing
// after the run has given up, so everything they touch is under mu.
type run struct {
	p        *prober
	ctx      context.Context // the caller's: its deadline bounds dials too
	log      *slog.Logger
	start    time.Time
	deadline time.Time

	// Set on the caller's goroutine: by the client's redirect check, the
	// body reader and the checks.
	debug       bool
	finalClosed bool
	unfollowed  bool // the final response is a redirect not followed
	failedRegex bool
	failedCEL   bool
	client      http.Client
	first       *url.URL // of the run's first request
	ownJar      runJar   // unless the caller gave one
	rare        *runExtra
	final       *http.Response
	redirects   int
	bodyLen     int64
	bodyp       *[]byte // the body kept for the checks, from the pool

	mu         sync.Mutex
	finished   bool
	phase      phase
	phaseStart time.Time // zero when no phase is in progress
	dur        [numPhases]time.Duration
	hops       int
	dnsLookup  time.Duration // of the first connection, as probe_dns_lookup_time_seconds
	ipProto    int
	addr       string   // remote address of the latest connection
	rx         *rxClock // the latest hop's connection, on the direct transport
}

// runExtra is what few runs need, kept out of run: every run allocates one,
// and size classes make a few bytes more cost a hundred.
type runExtra struct {
	jar       http.CookieJar // the caller's, kept across its requests
	loopURL   string
	peerCerts []*x509.Certificate // of a handshake that failed verification
	h3        *http3.Transport    // made by the first HTTP/3 request
}

func (r *run) extra() *runExtra {
	if r.rare == nil {
		r.rare = new(runExtra)
	}
	return r.rare
}

// kept is the body kept for the checks, if any.
func (r *run) kept() []byte {
	if r.bodyp == nil {
		return nil
	}
	return *r.bodyp
}

func runFrom(ctx context.Context) *run {
	r, _ := ctx.Value(runKey{}).(*run)
	return r
}

// trace returns the hooks that time the phases of each request of the run
// (one per redirect hop; every hop opens a new connection).
func (r *run) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn:              r.getConn,
		GotConn:              r.gotConnection,
		TLSHandshakeStart:    r.tlsHandshakeStart,
		TLSHandshakeDone:     r.tlsHandshakeDone,
		GotFirstResponseByte: r.gotFirstResponseByte,
	}
}

// Each hook ends the phase in progress and may start the next one. Once the
// run is finished, hooks of a dial it abandoned change nothing.

func (r *run) beginLocked(ph phase, t time.Time) {
	r.phase, r.phaseStart = ph, t
}

func (r *run) endLocked(t time.Time) {
	if !r.phaseStart.IsZero() {
		t = times.Later(t, r.phaseStart)
		r.dur[r.phase] += t.Sub(r.phaseStart)
		r.phaseStart = time.Time{}
	}
}

func (r *run) getConn(string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.endLocked(now) // the transfer of the previous hop, a redirect
	r.hops++
	r.rx = nil // a hop through the standard transport has no receive times
	r.phase = phaseResolve
}

// enter ends the current phase and begins ph, unless the run is over.
func (r *run) enter(ph phase) { r.enterAt(ph, time.Now()) }

// enterAt is enter at a time already taken (when the kernel received the
// response); a time before the current phase began counts as its start.
func (r *run) enterAt(ph phase, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.endLocked(now)
	r.beginLocked(ph, now)
}

func (r *run) gotConnection(httptrace.GotConnInfo) { r.enter(phaseProcessing) }

func (r *run) tlsHandshakeStart() { r.enter(phaseTLS) }

func (r *run) tlsHandshakeDone(cs tls.ConnectionState, err error) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	took := now.Sub(r.phaseStart)
	r.endLocked(now)
	if r.debug {
		logTLS(r.ctx, r.log, cs, took, err)
	}
}

func (r *run) gotFirstResponseByte() { r.enter(phaseTransfer) }

// setClock gives the run the receive times of its latest connection.
func (r *run) setClock(c *rxClock) {
	r.mu.Lock()
	r.rx = c
	r.mu.Unlock()
}

// resolving, resolved and connected are called by the dialer. A failed
// lookup or connect leaves its phase in progress, so that a timeout names
// it and finish counts its time.
func (r *run) resolving(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.finished {
		r.beginLocked(phaseResolve, t)
	}
}

func (r *run) resolved(t time.Time, proto int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished || !ok {
		return
	}
	if r.hops <= 1 {
		r.dnsLookup = t.Sub(r.phaseStart)
	}
	r.ipProto = proto
	r.endLocked(t)
	r.beginLocked(phaseConnect, t)
}

func (r *run) connected(t time.Time, addr string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.addr = addr
	if ok {
		r.endLocked(t)
	}
}

// finish ends the run's timeline: the body has been read, or the run
// failed and the phase it failed in lasted until now.
func (r *run) finish() { r.finishAt(time.Now()) }

// finishAt ends the run's timeline at end.
func (r *run) finishAt(now time.Time) {
	r.mu.Lock()
	r.endLocked(now)
	r.finished = true
	r.mu.Unlock()
}

// logf logs a debug line unless the run is over (a dial abandoned by a
// timed-out run may still report in).
func (r *run) logf(msg string, args ...any) {
	if !r.debug {
		return
	}
	r.mu.Lock()
	done := r.finished
	r.mu.Unlock()
	if !done {
		r.log.DebugContext(r.ctx, msg, args...)
	}
}

// runJar is a run's cookie jar, made on the first cookie a response sets:
// most runs get none, and then the jar costs nothing.
type runJar struct{ jar *cookiejar.Jar }

func (j *runJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if j.jar == nil {
		j.jar, _ = cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List}) // never fails
	}
	j.jar.SetCookies(u, cookies)
}

func (j *runJar) Cookies(u *url.URL) []*http.Cookie {
	if j.jar == nil {
		return nil
	}
	return j.jar.Cookies(u)
}
