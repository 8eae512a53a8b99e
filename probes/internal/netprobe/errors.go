package netprobe

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/sloagent/sloagent/internal/clip"
)

// IsTimeout tells whether err is a deadline that passed.
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ConnMessage describes a failure of the connection itself (refused, reset,
// closed, unreachable), or says it is not one.
func ConnMessage(err error) (string, bool) {
	var op *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		if errors.As(err, &op) && op.Addr != nil {
			return "connection to " + op.Addr.String() + " refused", true
		}
		return "connection refused", true
	case isReset(err):
		return "connection reset by peer", true
	case errors.Is(err, syscall.EPIPE):
		return "connection closed by peer (broken pipe)", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return Text(err), true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ClosedByPeer, true
	case errors.As(err, &op) && op.Op == "dial":
		return Text(err), true
	}
	return "", false
}

// ClosedByPeer is ConnMessage's sentence for a connection the peer closed
// (an end of file where more was due).
const ClosedByPeer = "connection closed by peer"

// Text is err without the wrapping net/http adds (the method and URL of
// the request, "HTTP/1.x transport connection broken"), which a message
// naming the phase says better. Errors that quote what the target sent
// (a malformed header line) are clipped.
func Text(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return Clip(strings.TrimPrefix(err.Error(), "net/http: HTTP/1.x transport connection broken: "))
}

// MaxQuoted is about how much of what a target sent a failure message
// quotes.
const MaxQuoted = 512

// Clip bounds text a target chose (a header, a record, a status message,
// an error quoting them) before a failure message takes it: a message is
// kept in the probe's state, its incident and the logs, and a target must
// not make it megabytes long. It keeps the start and the end, where an
// error says what was wrong.
func Clip(s string) string { return clip.Ends(s, MaxQuoted) }

// Timeout says how long a run had, as configured: the caller set the
// deadline a moment before the run started, so it rounds up (2s, not
// 1.99987s).
func Timeout(start, deadline time.Time) string {
	if deadline.IsZero() {
		return time.Since(start).Round(time.Millisecond).String()
	}
	d := deadline.Sub(start)
	var step time.Duration
	switch {
	case d <= 0:
		return "0s"
	case d < 100*time.Millisecond:
		step = 5 * time.Millisecond
	case d < time.Second:
		step = 50 * time.Millisecond
	case d < 10*time.Second:
		step = 100 * time.Millisecond
	default:
		step = time.Second
	}
	return ((d + step - 1) / step * step).String()
}
