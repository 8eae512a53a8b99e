package expo

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/munnerz/goautoneg"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Source writes families of series straight from state through an
// Encoder, adding the names it wrote to taken.
type Source func(enc Encoder, taken map[string]bool) error

// Exposition is what /metrics serves for one config generation: the
// families of a registry (the agent's own health, Go's), then those its
// sources write straight from state.
type Exposition struct {
	Rest    prometheus.Gatherer
	Sources []Source
	// protoSize is the largest protobuf family of the last scrape: the
	// next one's buffer is made that large at once.
	protoSize atomic.Int64
}

// Format is an exposition format /metrics serves.
type Format int

// The formats.
const (
	FormatText Format = iota
	FormatProto
	FormatOpenMetrics
)

// Negotiate picks the format for a request's Accept header: protobuf
// when the scraper asks for it (Prometheus does first when native
// histograms are on), OpenMetrics when it prefers that (Prometheus does
// otherwise), else text. The header may come in several lines, and a
// media range of quality 0 is one the scraper refuses (RFC 9110, 12.4.2):
// expfmt would still pick it when nothing else matched.
func Negotiate(h http.Header) Format {
	accept := http.Header{"Accept": {acceptable(h.Values("Accept"))}}
	switch expfmt.NegotiateIncludingOpenMetrics(accept).FormatType() {
	case expfmt.TypeProtoDelim:
		return FormatProto
	case expfmt.TypeOpenMetrics:
		return FormatOpenMetrics
	}
	return FormatText
}

// acceptable joins the lines of an Accept header into one, without the
// media ranges whose quality is 0 or not a number, read as expfmt reads
// them.
func acceptable(lines []string) string {
	var keep []string
	for _, line := range lines {
		for _, r := range strings.Split(line, ",") {
			if c := goautoneg.ParseAccept(r); len(c) == 1 && c[0].Q > 0 {
				keep = append(keep, r)
			}
		}
	}
	return strings.Join(keep, ",")
}

// ContentType is what f is served as.
func (f Format) ContentType() string {
	switch f {
	case FormatProto:
		return string(expfmt.NewFormat(expfmt.TypeProtoDelim))
	case FormatOpenMetrics:
		return string(expfmt.FmtOpenMetrics_1_0_0)
	}
	return string(expfmt.NewFormat(expfmt.TypeTextPlain))
}

// Write writes everything in format f to w. A gathering error is returned
// after writing what was gathered, as promhttp does with ContinueOnError.
func (e *Exposition) Write(w io.Writer, f Format) error {
	mfs, gerr := e.Rest.Gather()
	taken := map[string]bool{}
	var enc Encoder
	var bw *bufio.Writer
	var menc expfmt.Encoder
	switch f {
	case FormatProto:
		menc = expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeProtoDelim))
		p := NewProtoSized(w, int(e.protoSize.Load()))
		defer func() { e.protoSize.Store(int64(p.Largest())) }()
		enc = p
	case FormatOpenMetrics:
		bw = bufio.NewWriterSize(w, 64<<10)
		menc = expfmt.NewEncoder(bw, expfmt.FmtOpenMetrics_1_0_0)
		enc = NewOpenMetrics(bw)
	default:
		bw = bufio.NewWriterSize(w, 64<<10)
		menc = expfmt.NewEncoder(bw, expfmt.NewFormat(expfmt.TypeTextPlain))
		enc = NewText(bw)
	}
	for _, mf := range mfs {
		if err := menc.Encode(mf); err != nil {
			return err
		}
		taken[mf.GetName()] = true
	}
	for _, src := range e.Sources {
		if err := src(enc, taken); err != nil {
			return err
		}
	}
	if c, ok := menc.(expfmt.Closer); ok && f == FormatOpenMetrics {
		if err := c.Close(); err != nil { // # EOF, after every family
			return err
		}
	}
	if bw != nil {
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	return gerr
}

// ServeHTTP serves the exposition in the format the scraper asks for,
// gzip-compressed when it accepts that.
func (e *Exposition) ServeHTTP(w http.ResponseWriter, r *http.Request, log *slog.Logger) {
	f := Negotiate(r.Header)
	h := w.Header()
	h.Set("Content-Type", f.ContentType())
	// Writing the series and compressing or sending them run on two
	// goroutines, so a large scrape uses two cores and no more.
	var out io.WriteCloser
	if GzipAccepted(strings.Join(r.Header.Values("Accept-Encoding"), ",")) {
		h.Set("Content-Encoding", "gzip")
		out = newGzipStream(w)
	} else {
		out = newAsyncWriter(w)
	}
	// Small writes (a protobuf family's length) are gathered here before
	// they are queued.
	bw := bufio.NewWriterSize(out, 64<<10)
	if err := e.Write(bw, f); err != nil {
		log.Error("serving /metrics", "err", err)
	}
	err := bw.Flush()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Debug("serving /metrics", "err", err) // the scraper went away
	}
}

// GzipAccepted reports whether an Accept-Encoding header accepts gzip: it
// names gzip (or x-gzip, which RFC 9110 has recipients read as gzip), or
// else *, with a quality above zero.
func GzipAccepted(header string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		enc = strings.TrimSpace(enc)
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				} else {
					q = 0
				}
			}
		}
		switch {
		case strings.EqualFold(enc, "gzip"), strings.EqualFold(enc, "x-gzip"):
			return q > 0
		case enc == "*":
			star = q > 0
		}
	}
	return star
}

// gzipStream compresses on an asyncWriter's goroutine. klauspost's gzip
// at its fastest level compresses the text of 10,000 probes and their
// SLOs (some 45 MB) about as fast as it is written, where compress/gzip
// took several times longer.
type gzipStream struct {
	*asyncWriter
	zw *kgzip.Writer
}

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := kgzip.NewWriterLevel(nil, kgzip.BestSpeed)
	return zw
}}

func newGzipStream(w io.Writer) *gzipStream {
	zw := gzipWriters.Get().(*kgzip.Writer)
	zw.Reset(w)
	return &gzipStream{asyncWriter: newAsyncWriter(zw), zw: zw}
}

func (g *gzipStream) Close() error {
	err := g.asyncWriter.Close()
	if cerr := g.zw.Close(); err == nil {
		err = cerr
	}
	g.zw.Reset(nil)
	gzipWriters.Put(g.zw)
	return err
}

// asyncWriter writes to w on a goroutine of its own: Write copies and
// queues, Close waits for the queue to drain and returns the first error.
type asyncWriter struct {
	full, free chan []byte
	done       chan error
}

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{full: make(chan []byte, 4), free: make(chan []byte, 4), done: make(chan error, 1)}
	go func() {
		var err error
		for b := range a.full {
			if err == nil {
				_, err = w.Write(b)
			}
			select {
			case a.free <- b[:0]:
			default:
			}
		}
		a.done <- err
	}()
	return a
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	var b []byte
	select {
	case b = <-a.free:
	default:
	}
	a.full <- append(b, p...)
	return len(p), nil
}

func (a *asyncWriter) Close() error {
	close(a.full)
	return <-a.done
}
