// Package expo writes the agent's series in the formats Prometheus reads:
// the text format, OpenMetrics, and delimited protobuf with native
// histograms. Every family the agent writes straight from its state (the
// probes', the SLOs') is described once, in a table of this package or of
// a probe kind, and one walk over that table and the state drives every
// format through an Encoder: text, OpenMetrics and protobuf for /metrics,
// and the metrics of a prometheus.Collector for the registry that pushes
// and tests gather.
//
// Going through a Registry costs a few microseconds per series (a Desc, a
// protobuf message, checks, hashing and a sort for each), which at 10,000
// probes of some 35 series each made a scrape take seconds; the encoders
// here write each series in a few hundred nanoseconds.
package expo

import (
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/sloagent/sloagent/internal/textfmt"
	"github.com/sloagent/sloagent/probes"
)

// Family describes one series family: name, help, type, and the label
// names its series have besides their source's (the agent's labels, and
// the probe's or the SLO's).
type Family = probes.Family

// The types of a family.
const (
	Gauge     = probes.Gauge
	Counter   = probes.Counter
	Histogram = probes.Histogram
)

// Label is one label of a series besides its source's, such as
// reason="timeout".
type Label = probes.Label

// An Encoder writes families in one format. Family starts a family; Value
// and Hist write its series, with the source's labels ls and the series'
// own labels (those the family names); End ends the family. A family
// without series is left out.
type Encoder interface {
	Family(f *Family)
	Value(ls *Labels, own []Label, v float64)
	Hist(ls *Labels, own []Label, h *Hist)
	End() error
}

// Labels are the labels that the series of one source share: the agent's,
// and a probe's or an SLO's. They are rendered once for each format, and
// kept for as long as the source is.
type Labels struct {
	names, values []string // sorted by name
	text          string   // name="value",... escaped
	// proto is every LabelPair as a field of a protobuf Metric, in
	// order: one slice rather than one a pair, 50 bytes less a label.
	proto []byte
}

// NewLabels returns the label set of names and values (of equal length);
// a name may appear once.
func NewLabels(names, values []string) *Labels { return NewLabelsLike(nil, names, values) }

// NewLabelsLike is NewLabels, sharing the names of like (which may be
// nil) when they are the same: the sets of many sources with the same
// label names, such as every probe's, keep one copy of the names.
func NewLabelsLike(like *Labels, names, values []string) *Labels {
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return names[idx[a]] < names[idx[b]] })
	ls := &Labels{values: make([]string, len(names))}
	same := like != nil && len(like.names) == len(names)
	for i, j := range idx {
		same = same && like.names[i] == names[j]
	}
	if same {
		ls.names = like.names
	} else {
		ls.names = make([]string, len(names))
	}
	size := len(names) // the commas, and the other bytes below
	for i, j := range idx {
		ls.names[i], ls.values[i] = names[j], values[j]
		size += len(names[j]) + len(values[j]) + 3
	}
	var sb strings.Builder
	sb.Grow(size)
	n := 0
	for i := range ls.names {
		n += labelPairSize(ls.names[i], ls.values[i])
	}
	ls.proto = make([]byte, 0, n)
	for i, name := range ls.names {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(name)
		sb.WriteString(`="`)
		sb.WriteString(textfmt.EscapeLabel(ls.values[i]))
		sb.WriteByte('"')
		ls.proto = appendLabelPair(ls.proto, name, ls.values[i])
	}
	ls.text = sb.String()
	return ls
}

// With returns the labels and one more, as a new set.
func (ls *Labels) With(name, value string) *Labels {
	return NewLabels(append(ls.names[:len(ls.names):len(ls.names)], name), append(ls.values[:len(ls.values):len(ls.values)], value))
}

// Names are the label names, sorted.
func (ls *Labels) Names() []string { return ls.names }

// Values are the label values, in the order of Names.
func (ls *Labels) Values() []string { return ls.values }

// labelPairSize is the size of a LabelPair as field 1 of a Metric.
func labelPairSize(name, value string) int {
	return protowire.SizeTag(1) + protowire.SizeBytes(labelPairLen(name, value))
}

func labelPairLen(name, value string) int {
	return protowire.SizeTag(1) + protowire.SizeBytes(len(name)) + protowire.SizeTag(2) + protowire.SizeBytes(len(value))
}

// appendLabelPair appends a LabelPair as field 1 of a Metric.
func appendLabelPair(b []byte, name, value string) []byte {
	n := labelPairLen(name, value)
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, name)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendString(b, value)
}

// Hist is a histogram's state at one moment: classic buckets, and a native
// (exponential) histogram when Schema is set.
type Hist struct {
	Count uint64
	Sum   float64
	// Bounds are the classic buckets' upper bounds without +Inf, and
	// Counts the observations in each bucket (not cumulative), with one
	// more for +Inf.
	Bounds []float64
	Counts []uint64
	// Native says whether the native part is there.
	Native        bool
	Schema        int32
	ZeroThreshold float64
	ZeroCount     uint64
	// Buckets are the native buckets with observations, by index.
	Buckets []NativeBucket
	Created time.Time
}

// NativeBucket counts the observations in (2^((Index-1)/2^schema),
// 2^(Index/2^schema)].
type NativeBucket struct {
	Index int32
	Count uint64
}
