package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http/httptrace"
	"sync"
	"time"
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
	debug    bool
	start    time.Time
	deadline time.Time

	// Set on the caller's goroutine: by the client's redirect check, the
	// body reader and the checks.
	redirects   int
	loopURL     string
	wireLen     int64
	bodyLen     int64
	bodyBuf     *bytes.Buffer
	failedRegex bool
	peerCerts   []*x509.Certificate // of a handshake that failed verification

	mu        sync.Mutex
	finished  bool
	phase     phase
	dur       [numPhases]time.Duration
	hops      int
	gotConn   time.Time
	firstByte time.Time
	tlsStart  time.Time
	dnsLookup time.Duration // of the first connection, as probe_dns_lookup_time_seconds
	ipProto   int
	addr      string // remote address of the latest connection
	tlsState  *tls.ConnectionState
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

func (r *run) getConn(string) {
	now := time.Now()
	r.mu.Lock()
	if r.hops > 0 && !r.firstByte.IsZero() {
		// The previous hop was a redirect: its transfer lasted until now.
		r.dur[phaseTransfer] += now.Sub(r.firstByte)
	}
	r.hops++
	r.gotConn, r.firstByte = time.Time{}, time.Time{}
	r.phase = phaseResolve
	r.mu.Unlock()
}

func (r *run) gotConnection(httptrace.GotConnInfo) {
	now := time.Now()
	r.mu.Lock()
	r.gotConn = now
	r.phase = phaseProcessing
	r.mu.Unlock()
}

func (r *run) tlsHandshakeStart() {
	now := time.Now()
	r.mu.Lock()
	r.tlsStart = now
	r.phase = phaseTLS
	r.mu.Unlock()
}

func (r *run) tlsHandshakeDone(cs tls.ConnectionState, err error) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.tlsStart.IsZero() {
		r.dur[phaseTLS] += now.Sub(r.tlsStart)
	}
	if err == nil {
		r.tlsState = &cs
	}
	if r.debug && !r.finished {
		logTLS(r.ctx, r.log, cs, now.Sub(r.tlsStart), err)
	}
}

func (r *run) gotFirstResponseByte() {
	now := time.Now()
	r.mu.Lock()
	r.firstByte = now
	if !r.gotConn.IsZero() {
		r.dur[phaseProcessing] += now.Sub(r.gotConn)
	}
	r.phase = phaseTransfer
	r.mu.Unlock()
}

// resolved and connected are called by the dialer.
func (r *run) resolved(took time.Duration, proto int) {
	r.mu.Lock()
	r.dur[phaseResolve] += took
	if r.hops <= 1 {
		r.dnsLookup = took
	}
	r.ipProto = proto
	r.phase = phaseConnect
	r.mu.Unlock()
}

func (r *run) connected(took time.Duration, addr string) {
	r.mu.Lock()
	r.dur[phaseConnect] += took
	r.addr = addr
	r.mu.Unlock()
}

// setPhase marks where the run is, so a timeout can say where it happened.
func (r *run) setPhase(ph phase) {
	r.mu.Lock()
	r.phase = ph
	r.mu.Unlock()
}

// finish ends the run's timeline: the body has been read (or the run
// failed), and late hooks of an abandoned dial must not change the result.
func (r *run) finish() {
	now := time.Now()
	r.mu.Lock()
	if !r.firstByte.IsZero() {
		r.dur[phaseTransfer] += now.Sub(r.firstByte)
		r.firstByte = time.Time{}
	}
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
