package agent

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sloagent/sloagent/internal/textfmt"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/slo"
)

// exposition is what /metrics serves for one config generation. Going
// through a Registry costs a few microseconds per series (a Desc, a proto
// message, checks, hashing and a sort for each), which at 10,000 probes of
// some 35 series each made a scrape take seconds, and as much again for
// their SLOs. The probes' and SLOs' series are therefore written as text
// straight from their states; everything else (the agent's own, Go's)
// goes through the registry as usual. Gatherer() still gathers everything
// through a full registry.
type exposition struct {
	probes *probeCollector
	slo    *slo.Engine         // nil without SLO state
	rest   prometheus.Gatherer // every collector but the probes' and SLOs'
	labels prometheus.Labels   // the agent's labels, on every series
}

// metricsHandler serves /metrics: the text format from the exposition
// when the scraper accepts it (Prometheus does, and prefers nothing it
// cannot get from it), the registry through promhttp otherwise (protobuf).
func (a *Agent) metricsHandler() http.Handler {
	slow := promhttp.HandlerFor(gathererFunc(a.gather), promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := a.expo.Load()
		switch expfmt.NegotiateIncludingOpenMetrics(r.Header).FormatType() {
		case expfmt.TypeTextPlain, expfmt.TypeOpenMetrics:
			if e != nil {
				e.serve(w, r, a.log)
				return
			}
		}
		slow.ServeHTTP(w, r)
	})
}

func (e *exposition) serve(w http.ResponseWriter, r *http.Request, log *slog.Logger) {
	h := w.Header()
	h.Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	// Writing the text and compressing or sending it run on two
	// goroutines, so a large scrape uses two cores and no more.
	var out io.WriteCloser
	if gzipAccepted(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		out = newGzipStream(w)
	} else {
		out = newAsyncWriter(w)
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	if err := e.write(bw); err != nil {
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

func gzipAccepted(header string) bool {
	for _, part := range strings.Split(header, ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// write writes the registry's families, then the SLOs', then the probes'.
// A gathering error is returned after writing what was gathered, as
// promhttp does with ContinueOnError.
func (e *exposition) write(w *bufio.Writer) error {
	mfs, gerr := e.rest.Gather()
	taken := map[string]bool{}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
		taken[mf.GetName()] = true
	}
	if e.slo != nil {
		if err := e.slo.WriteText(w, renderLabels(e.labels, nil, nil)); err != nil {
			return err
		}
		for _, name := range slo.MetricNames() {
			taken[name] = true
		}
	}
	e.probes.writeText(w, e.labels, taken)
	return gerr
}

// agentLabels are the labels of every series the agent exports.
func agentLabels(cfg *Config) prometheus.Labels {
	labels := prometheus.Labels{"agent": cfg.Agent.Name}
	if cfg.Agent.Location != "" {
		labels["location"] = cfg.Agent.Location
	}
	for k, v := range cfg.Agent.Labels {
		labels[k] = v
	}
	return labels
}

// row is one probe's state, copied under its lock for writing.
type row struct {
	labels   string // name="value",... of the probe, escaped
	hasRun   bool
	success  bool
	duration float64
	start    float64
	runs     uint64
	skipped  uint64
	failures []reasonCount
	samples  sampleSet
	buckets  []uint64 // as durationHistogram.classic
	sum      float64
}

type reasonCount struct {
	reason string
	n      uint64
}

// writeText writes every probe's series in the text format (0.0.4), one
// family at a time. Sample families whose name another family already has
// (taken) are left out, as the registry would reject them.
func (c *probeCollector) writeText(w *bufio.Writer, constLabels prometheus.Labels, taken map[string]bool) {
	rows := c.rows(constLabels)
	fixed := []struct {
		name, help, typ string
		value           func(*row) (float64, bool)
	}{
		{"probe_success", helpSuccess, "gauge", func(r *row) (float64, bool) { return boolFloat(r.success), r.hasRun }},
		{"probe_duration_seconds", helpDuration, "gauge", func(r *row) (float64, bool) { return r.duration, r.hasRun }},
		{"probe_last_run_timestamp_seconds", helpLastRun, "gauge", func(r *row) (float64, bool) { return r.start, r.hasRun }},
		{"probe_runs_total", helpRuns, "counter", func(r *row) (float64, bool) { return float64(r.runs), true }},
		{"sloagent_probe_skipped_runs_total", helpSkipped, "counter", func(r *row) (float64, bool) { return float64(r.skipped), true }},
	}
	var b []byte
	for _, f := range fixed {
		taken[f.name] = true
		b = textfmt.AppendHeader(b[:0], f.name, f.help, f.typ)
		for i := range rows {
			if v, ok := f.value(&rows[i]); ok {
				b = end(open(b, f.name, rows[i].labels), v)
			}
			b = flush(w, b)
		}
		w.Write(b)
	}

	taken["probe_failures_total"] = true
	b = textfmt.AppendHeader(b[:0], "probe_failures_total", helpFailures, "counter")
	for i := range rows {
		for _, f := range rows[i].failures {
			b = open(b, "probe_failures_total", rows[i].labels)
			b = end(label(b, rows[i].labels, "reason", textfmt.EscapeLabel(f.reason)), float64(f.n))
		}
		b = flush(w, b)
	}
	w.Write(b)

	const hname = "probe_run_duration_seconds"
	for _, s := range []string{hname, hname + "_bucket", hname + "_sum", hname + "_count"} {
		taken[s] = true
	}
	les := make([]string, len(durationBuckets)+1)
	for i, le := range durationBuckets {
		les[i] = string(textfmt.AppendFloat(nil, le))
	}
	les[len(durationBuckets)] = "+Inf"
	b = textfmt.AppendHeader(b[:0], hname, helpHistogram, "histogram")
	for i := range rows {
		r := &rows[i]
		var cum uint64
		for j, n := range r.buckets {
			cum += n
			b = end(label(open(b, hname+"_bucket", r.labels), r.labels, "le", les[j]), float64(cum))
		}
		b = end(open(b, hname+"_sum", r.labels), r.sum)
		b = end(open(b, hname+"_count", r.labels), float64(cum))
		b = flush(w, b)
	}
	w.Write(b)

	c.writeSamples(w, rows, taken)
}

// writeSamples writes the probes' kind-specific gauges, grouped into
// families by name in the order they first appear.
func (c *probeCollector) writeSamples(w *bufio.Writer, rows []row, taken map[string]bool) {
	// One pass sorts the samples into families, so that writing them
	// does not scan every probe's samples once per family.
	type ref struct{ row, sample int32 }
	var names, helps []string
	var members [][]ref
	index := map[string]int{}
	for i := range rows {
		set := rows[i].samples
		for j := range set.len() {
			s := &set.layout.samples[j]
			k, seen := index[s.Name]
			if !seen {
				k = -1
				if !taken[s.Name] && model.LegacyValidation.IsValidMetricName(s.Name) {
					k = len(names)
					h := s.Help
					if h == "" {
						h = s.Name
					}
					names, helps, members = append(names, s.Name), append(helps, h), append(members, nil)
				}
				index[s.Name] = k
			}
			if k >= 0 {
				members[k] = append(members[k], ref{int32(i), int32(j)})
			}
		}
	}
	var b []byte
	for k, name := range names {
		b = textfmt.AppendHeader(b[:0], name, helps[k], "gauge")
		for _, m := range members[k] {
			r := &rows[m.row]
			s := &r.samples.layout.samples[m.sample]
			if !validLabels(s.Labels) {
				continue
			}
			b = open(b, name, r.labels)
			for _, l := range s.Labels {
				b = label(b, r.labels, l.Name, textfmt.EscapeLabel(l.Value))
			}
			b = flush(w, end(b, r.samples.values[m.sample]))
		}
		w.Write(b)
	}
}

// validLabels is false for labels the registry would refuse the series
// for.
func validLabels(ls []probes.Label) bool {
	for _, l := range ls {
		if !model.LegacyValidation.IsValidLabelName(l.Name) || !utf8.ValidString(l.Value) {
			return false
		}
	}
	return true
}

// rows copies every probe's state. Each lock is held only for the copy.
func (c *probeCollector) rows(constLabels prometheus.Labels) []row {
	rows := make([]row, len(c.entries))
	for i, e := range c.entries {
		r := &rows[i]
		r.labels = renderLabels(constLabels, c.labelNames, e.values)
		s := e.state
		s.mu.Lock()
		r.hasRun, r.success = s.hasRun, s.last.Success
		r.duration, r.start = s.last.Duration.Seconds(), float64(s.lastStart.UnixNano())/1e9
		r.runs, r.skipped = s.runs, s.skipped
		for reason, n := range s.failures {
			r.failures = append(r.failures, reasonCount{reason, n})
		}
		if s.hasRun {
			r.samples = s.samples
		}
		r.buckets, r.sum = append([]uint64(nil), s.duration.classic...), s.duration.sum
		s.mu.Unlock()
		sort.Slice(r.failures, func(a, b int) bool { return r.failures[a].reason < r.failures[b].reason })
	}
	return rows
}

// renderLabels is a probe's label pairs, sorted by name, as the text format
// writes them between braces. A probe label named like an agent label
// gives way to it, as it cannot be both.
func renderLabels(constLabels prometheus.Labels, names, values []string) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(constLabels)+len(names))
	for k, v := range constLabels {
		pairs = append(pairs, pair{k, v})
	}
	for i, k := range names {
		if _, dup := constLabels[k]; !dup {
			pairs = append(pairs, pair{k, values[i]})
		}
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].k < pairs[j].k })
	var sb strings.Builder
	for i, p := range pairs {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(p.k)
		sb.WriteString(`="`)
		sb.WriteString(textfmt.EscapeLabel(p.v))
		sb.WriteByte('"')
	}
	return sb.String()
}

// flush hands b to w once it has grown, so a family is never held whole.
func flush(w *bufio.Writer, b []byte) []byte {
	if len(b) < 32<<10 {
		return b
	}
	w.Write(b)
	return b[:0]
}

// open, label and end append one line in three steps:
// name{labels ,k="v"... } value.
func open(b []byte, name, labels string) []byte {
	b = append(b, name...)
	b = append(b, '{')
	return append(b, labels...)
}

// label appends a label whose value is escaped already.
func label(b []byte, labels, k, v string) []byte {
	if labels != "" || b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, k...)
	b = append(b, `="`...)
	b = append(b, v...)
	return append(b, '"')
}

func end(b []byte, v float64) []byte {
	b = append(b, "} "...)
	b = textfmt.AppendFloat(b, v)
	return append(b, '\n')
}
