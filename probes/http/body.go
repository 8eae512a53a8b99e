package http

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/andybalholm/brotli"

	"github.com/sloagent/sloagent/internal/conf"
)

// maxKeptBody bounds the body kept for regexes and CEL when
// body_size_limit is none: matching needs the body in memory, and one
// target must not be able to take the agent's.
const maxKeptBody = 64 << 20

// keepsBody reports whether runs keep the body to check it.
func (p *prober) keepsBody() bool {
	return len(p.bodyMatch)+len(p.bodyNotMatch) > 0 || p.celMatch != nil || p.celNotMatch != nil
}

// readBody reads the whole body, undoing the configured compression, and
// counts it as blackbox_exporter does: the decoded bytes, and no more
// than body_size_limit of them. With keep it keeps the body in *r.bodyp.
func (r *run) readBody(resp *http.Response, keep bool) error {
	p := r.p
	body, done, err := p.decoder(resp.Body)
	if err != nil {
		return bodyErr(err, p.compression)
	}
	defer done()
	lr := &limitedReader{r: body, limit: p.limit}
	if p.compression != "" && p.compression != "identity" {
		// Decompressing buffered input reads nothing from the
		// connection, so its deadline would not stop a bomb.
		lr.ctx = r.ctx
	}
	if keep {
		if lr.limit == 0 {
			lr.limit, lr.kept = p.keptMax, true
		}
		r.bodyp = p.bufs.Get().(*[]byte)
		b := (*r.bodyp)[:0]
		if n := resp.ContentLength; n > 0 && n <= lr.limit && p.compression == "" && int64(cap(b)) < n+bytes.MinRead {
			// One allocation of the right size, and room for the
			// read that sees the end, instead of doubling.
			b = make([]byte, 0, n+bytes.MinRead)
		}
		*r.bodyp, err = readAll(b, lr, lr.limit)
	} else {
		_, err = io.Copy(io.Discard, lr)
	}
	r.bodyLen = lr.n
	return bodyErr(err, p.compression)
}

// readAll appends what r gives to b until EOF, growing b by doubling but
// never past limit: r (a limitedReader) reports a larger body itself.
// bytes.Buffer would grow to twice the limit to make room for its last read.
func readAll(b []byte, r io.Reader, limit int64) ([]byte, error) {
	for {
		if len(b) == cap(b) && int64(cap(b)) < limit {
			n := min(max(2*cap(b), bytes.MinRead), int(limit))
			b = append(make([]byte, 0, n), b...)
		}
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// decoder returns a reader of body decoded as configured and a function
// that returns what it took.
func (p *prober) decoder(body io.Reader) (io.Reader, func(), error) {
	switch p.compression {
	case "gzip":
		// A gzip reader is large; reuse them across runs.
		zr, _ := p.gzips.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(body)
		} else {
			err = zr.Reset(body)
		}
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { p.gzips.Put(zr) }, nil
	case "deflate":
		zr := flate.NewReader(body)
		return zr, func() { zr.Close() }, nil
	case "br":
		// Not pooled: a Brotli reader keeps a window as large as the
		// stream asks for, up to 16 MiB.
		return brotli.NewReader(body), func() {}, nil
	}
	return body, func() {}, nil
}

// bodyErr makes a truncated or corrupt body a protocol error rather than a
// bare EOF, which classify would take for a connection closed early.
func bodyErr(err error, encoding string) error {
	if err == nil {
		return nil // before the variables below, which escape to the heap
	}
	var (
		corrupt flate.CorruptInputError
		large   *tooLargeError
	)
	switch {
	case errors.As(err, &large), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("body ended early: %w", io.ErrUnexpectedEOF)
	case errors.As(err, &corrupt), errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), isBrotliErr(err):
		return fmt.Errorf("body is not valid %s: %v", encoding, err)
	}
	return err
}

// isBrotliErr reports a corrupt Brotli stream; the library's errors are
// plain strings that start with "brotli:".
func isBrotliErr(err error) bool {
	var s string
	for e := err; e != nil; e = errors.Unwrap(e) {
		s = e.Error()
	}
	return strings.HasPrefix(s, "brotli:")
}

// limitedReader counts what it passes and fails once more than limit (if
// set) would pass: then it has passed exactly limit bytes, as
// http.MaxBytesReader does, so the length reported is blackbox_exporter's.
// With ctx set it also stops when the run is over.
type limitedReader struct {
	r     io.Reader
	n     int64
	limit int64
	kept  bool // the limit is maxKeptBody, not body_size_limit
	ctx   context.Context
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.ctx != nil {
		if err := l.ctx.Err(); err != nil {
			return 0, err
		}
	}
	if l.limit > 0 {
		if l.n >= l.limit {
			// One more byte tells a body of exactly limit bytes
			// from a larger one.
			var one [1]byte
			n, err := l.r.Read(one[:])
			if n > 0 {
				return 0, &tooLargeError{limit: l.limit, kept: l.kept}
			}
			return 0, err
		}
		if rest := l.limit - l.n; int64(len(b)) > rest {
			b = b[:rest]
		}
	}
	n, err := l.r.Read(b)
	l.n += int64(n)
	return n, err
}

// tooLargeError is a body over the limit.
type tooLargeError struct {
	limit int64
	kept  bool
}

func (e *tooLargeError) Error() string {
	if e.kept {
		return fmt.Sprintf("body larger than %s, the most kept for body checks when body_size_limit is none", conf.ByteSize(e.limit))
	}
	return "body larger than body_size_limit " + conf.ByteSize(e.limit).String()
}
