package expo

import (
	"bufio"
	"bytes"
	"math"
	"slices"
	"strings"

	"github.com/sloagent/sloagent/internal/textfmt"
)

// Text writes the text format (0.0.4), or OpenMetrics 1.0.0, to w.
type Text struct {
	w    *bufio.Writer
	f    *Family
	name string    // the family's sample name
	hist [3]string // a histogram family's _bucket, _sum and _count names
	b    []byte
	head int // length of the family's header in b; -1 once a series is written
	les  map[float64]string
	// lastBounds are the bounds of the last histogram written, and
	// lastLes their le labels.
	lastBounds []float64
	lastLes    []string
	err        error
	om         bool
}

// NewText returns an encoder writing the text format to w.
func NewText(w *bufio.Writer) *Text { return &Text{w: w, les: map[float64]string{}} }

// NewOpenMetrics returns an encoder writing OpenMetrics to w, without
// exemplars, created timestamps or units. The two formats differ in a
// counter's family name, which OpenMetrics gives without _total, and in
// HELP's escapes; the caller writes the closing # EOF.
func NewOpenMetrics(w *bufio.Writer) *Text {
	return &Text{w: w, les: map[float64]string{}, om: true}
}

// Family starts f; its header is written with its first series.
func (t *Text) Family(f *Family) {
	t.f, t.name = f, f.Name
	if f.Type == Histogram {
		t.hist = [3]string{f.Name + "_bucket", f.Name + "_sum", f.Name + "_count"}
	}
	if !t.om {
		t.b = textfmt.AppendHeader(t.b[:0], f.Name, f.Help, f.Type.String())
	} else {
		family := f.Name
		if f.Type == Counter {
			family = strings.TrimSuffix(f.Name, "_total")
			t.name = family + "_total"
		}
		t.b = appendOpenMetricsHeader(t.b[:0], family, f.Help, f.Type.String())
	}
	t.head = len(t.b)
}

func (t *Text) open(name string, ls *Labels, own []Label) {
	t.head = -1
	t.b = append(t.b, name...)
	t.b = append(t.b, '{')
	t.b = append(t.b, ls.text...)
	for _, l := range own {
		t.label(l.Name, l.Value)
	}
}

func (t *Text) label(name, value string) {
	if t.b[len(t.b)-1] != '{' {
		t.b = append(t.b, ',')
	}
	t.b = append(t.b, name...)
	t.b = append(t.b, `="`...)
	t.b = appendLabelValue(t.b, value)
	t.b = append(t.b, '"')
}

// appendLabelValue appends a label value, escaped. Values that need no
// escaping (nearly all: a window, a phase, a bucket's bound) are found by
// a loop over their bytes in a quarter to a third of the time
// strings.ContainsAny took (some 400,000 labels a scrape).
func appendLabelValue(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\\' || c == '"' || c == '\n' {
			return append(b, textfmt.EscapeLabel(v)...)
		}
	}
	return append(b, v...)
}

func (t *Text) end(v float64) {
	t.b = append(t.b, "} "...)
	t.b = textfmt.AppendFloat(t.b, v)
	t.b = append(t.b, '\n')
	// Hand the family over once it has grown, so it is never held whole.
	if len(t.b) >= 32<<10 {
		t.write()
	}
}

func (t *Text) write() {
	if t.err == nil {
		_, t.err = t.w.Write(t.b)
	}
	t.b = t.b[:0]
}

// Value writes one series of a gauge or counter.
func (t *Text) Value(ls *Labels, own []Label, v float64) {
	t.open(t.name, ls, own)
	t.end(v)
}

// Hist writes a histogram's classic buckets, sum and count; the text
// format has no native histograms.
func (t *Text) Hist(ls *Labels, own []Label, h *Hist) {
	les := t.bucketLabels(h.Bounds)
	var cum uint64
	for i, n := range h.Counts {
		cum += n
		t.open(t.hist[0], ls, own)
		if t.b[len(t.b)-1] != '{' {
			t.b = append(t.b, ',')
		}
		t.b = append(t.b, les[i]...)
		t.end(float64(cum))
	}
	t.open(t.hist[1], ls, own)
	t.end(h.Sum)
	t.open(t.hist[2], ls, own)
	t.end(float64(h.Count))
}

// bucketLabels returns the le label of each bucket of bounds, +Inf last.
// The histograms of a family share their bounds, so the labels of the
// last bounds are kept: formatting or looking up the bounds of each of
// 10,000 histograms took some 4 ms a scrape; comparing them is cheap.
func (t *Text) bucketLabels(bounds []float64) []string {
	if t.lastLes != nil && slices.Equal(bounds, t.lastBounds) {
		return t.lastLes
	}
	les := make([]string, 0, len(bounds)+1)
	for _, v := range bounds {
		les = append(les, `le="`+t.le(v)+`"`)
	}
	t.lastBounds, t.lastLes = slices.Clone(bounds), append(les, `le="+Inf"`)
	return t.lastLes
}

func (t *Text) le(v float64) string {
	s, ok := t.les[v]
	if !ok {
		b := textfmt.AppendFloat(nil, v)
		if t.om && !math.IsInf(v, 0) && !bytes.ContainsAny(b, "e.") {
			b = append(b, ".0"...) // OpenMetrics' canonical form, as client_golang writes it: 1.0
		}
		s = string(b)
		t.les[v] = s
	}
	return s
}

// End writes what is left of the family, if it had series.
func (t *Text) End() error {
	if t.head < 0 {
		t.write()
	}
	t.b = t.b[:0]
	return t.err
}
