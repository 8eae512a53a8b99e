package expo

import (
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Proto writes delimited protobuf MetricFamily messages (what Prometheus
// asks for first when native histograms are on), with native histograms.
// Messages are appended field by field, as client_golang's types would
// marshal them, without building those types: at 10,000 probes a scrape
// is some 350,000 series.
//
// A delimited message starts with its length, so a family is held whole
// until it ends; it is then handed to w in pieces, so that a writer
// copying what it is given (the handler's, which sends on another
// goroutine) copies into buffers it reuses rather than allocating one the
// size of the family.
type Proto struct {
	w   io.Writer
	f   *Family
	fam []byte // the family's message
	m   []byte // a histogram's Metric
	sub []byte // a message inside the Metric
	n   int
	own []Label
	err error
	// largest is the size of the largest family written.
	largest int
}

// NewProto returns an encoder writing to w.
func NewProto(w io.Writer) *Proto { return &Proto{w: w} }

// NewProtoSized is NewProto with room for a family of size bytes: the
// size of the largest family of the previous scrape (Largest) saves
// growing the buffer by copying, some 4 times the family's size.
func NewProtoSized(w io.Writer, size int) *Proto {
	return &Proto{w: w, fam: make([]byte, 0, size)}
}

// Largest is the size of the largest family written so far.
func (p *Proto) Largest() int { return p.largest }

// protoChunk is the most End hands to w at once.
const protoChunk = 256 << 10

// MetricFamily.Type values.
const (
	protoCounter   = 0
	protoGauge     = 1
	protoHistogram = 4
)

// Family starts f.
func (p *Proto) Family(f *Family) {
	p.f, p.n = f, 0
	b := protowire.AppendTag(p.fam[:0], 1, protowire.BytesType)
	b = protowire.AppendString(b, f.Name)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, f.Help)
	b = protowire.AppendTag(b, 3, protowire.VarintType)
	typ := protoGauge
	switch f.Type {
	case Counter:
		typ = protoCounter
	case Histogram:
		typ = protoHistogram
	}
	p.fam = protowire.AppendVarint(b, uint64(typ))
}

// ownSorted sets p.own to own, sorted by name.
func (p *Proto) ownSorted(own []Label) {
	p.own = append(p.own[:0], own...)
	// Insertion sort: a series has one or two labels of its own, and
	// sort.Slice allocated for every series.
	for i := 1; i < len(p.own); i++ {
		for j := i; j > 0 && p.own[j].Name < p.own[j-1].Name; j-- {
			p.own[j], p.own[j-1] = p.own[j-1], p.own[j]
		}
	}
}

// labelsSize is the size of the label pairs of ls and own.
func labelsSize(ls *Labels, own []Label) int {
	n := len(ls.proto)
	for _, l := range own {
		n += labelPairSize(l.Name, l.Value)
	}
	return n
}

// appendLabels appends the label pairs of a Metric, the family's own
// spliced in where they sort; p.own holds them, sorted.
func (p *Proto) appendLabels(b []byte, ls *Labels) []byte {
	if len(p.own) == 0 {
		return append(b, ls.proto...)
	}
	j := 0
	rest := ls.proto
	for _, name := range ls.names {
		for j < len(p.own) && p.own[j].Name < name {
			b = appendLabelPair(b, p.own[j].Name, p.own[j].Value)
			j++
		}
		_, _, n := protowire.ConsumeField(rest)
		b = append(b, rest[:n]...)
		rest = rest[n:]
	}
	for ; j < len(p.own); j++ {
		b = appendLabelPair(b, p.own[j].Name, p.own[j].Value)
	}
	return b
}

// valueSize is the size of a Gauge or Counter message with its value, as
// a field of a Metric.
const valueSize = 1 + 1 + 1 + 8

// Value writes one series of a gauge or counter, straight into the
// family's message: its size is known before it is written.
func (p *Proto) Value(ls *Labels, own []Label, v float64) {
	p.ownSorted(own)
	field := protowire.Number(2) // gauge
	if p.f.Type == Counter {
		field = 3
	}
	b := protowire.AppendTag(p.fam, 4, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(labelsSize(ls, own)+valueSize))
	b = p.appendLabels(b, ls)
	b = protowire.AppendTag(b, field, protowire.BytesType)
	b = append(b, 1+8)
	b = protowire.AppendTag(b, 1, protowire.Fixed64Type)
	p.fam = protowire.AppendFixed64(b, math.Float64bits(v))
	p.n++
}

// Hist writes a histogram: classic buckets, and the native part if it has
// one.
func (p *Proto) Hist(ls *Labels, own []Label, h *Hist) {
	p.ownSorted(own)
	p.m = p.appendLabels(p.m[:0], ls)
	b := protowire.AppendTag(p.sub[:0], 1, protowire.VarintType)
	b = protowire.AppendVarint(b, h.Count)
	b = protowire.AppendTag(b, 2, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(h.Sum))
	var cum uint64
	for i, le := range h.Bounds {
		cum += h.Counts[i]
		n := protowire.SizeTag(1) + protowire.SizeVarint(cum) + protowire.SizeTag(2) + protowire.SizeFixed64()
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(n))
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, cum)
		b = protowire.AppendTag(b, 2, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(le))
	}
	if h.Native {
		b = protowire.AppendTag(b, 5, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(h.Schema)))
		b = protowire.AppendTag(b, 6, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(h.ZeroThreshold))
		b = protowire.AppendTag(b, 7, protowire.VarintType)
		b = protowire.AppendVarint(b, h.ZeroCount)
		b = appendSpans(b, h.Buckets, h.ZeroThreshold == 0 && h.ZeroCount == 0)
	}
	if !h.Created.IsZero() {
		secs, nanos := h.Created.Unix(), int64(h.Created.Nanosecond())
		n := protowire.SizeTag(1) + protowire.SizeVarint(uint64(secs))
		if nanos != 0 {
			n += protowire.SizeTag(2) + protowire.SizeVarint(uint64(nanos))
		}
		b = protowire.AppendTag(b, 15, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(n))
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(secs))
		if nanos != 0 {
			b = protowire.AppendTag(b, 2, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(nanos))
		}
	}
	p.sub = b
	p.m = protowire.AppendTag(p.m, 7, protowire.BytesType)
	p.m = protowire.AppendBytes(p.m, p.sub)
	p.fam = protowire.AppendTag(p.fam, 4, protowire.BytesType)
	p.fam = protowire.AppendBytes(p.fam, p.m)
	p.n++
}

// appendSpans appends the positive spans and deltas of the native buckets
// as client_golang lays them out: a gap of one or two buckets is filled
// with empty ones rather than starting a new span. A histogram with no
// buckets and no zero bucket gets one empty span, so that it still reads
// as native.
func appendSpans(b []byte, buckets []NativeBucket, noZero bool) []byte {
	if len(buckets) == 0 {
		if noZero {
			b = appendSpan(b, 0, 0)
		}
		return b
	}
	type span struct {
		offset int32
		length uint32
	}
	var spans []span
	var deltas []int64
	var prev int64
	next := int32(0)
	for n, bk := range buckets {
		gap := bk.Index - next
		if n == 0 || gap > 2 {
			spans = append(spans, span{offset: gap})
		} else {
			for range gap {
				spans[len(spans)-1].length++
				deltas = append(deltas, -prev)
				prev = 0
			}
		}
		spans[len(spans)-1].length++
		deltas = append(deltas, int64(bk.Count)-prev)
		prev = int64(bk.Count)
		next = bk.Index + 1
	}
	for _, s := range spans {
		b = appendSpan(b, s.offset, s.length)
	}
	for _, d := range deltas {
		b = protowire.AppendTag(b, 13, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(d))
	}
	return b
}

func appendSpan(b []byte, offset int32, length uint32) []byte {
	n := protowire.SizeTag(1) + protowire.SizeVarint(protowire.EncodeZigZag(int64(offset))) +
		protowire.SizeTag(2) + protowire.SizeVarint(uint64(length))
	b = protowire.AppendTag(b, 12, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(offset)))
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(length))
}

// End writes the family, length-delimited, if it had series.
func (p *Proto) End() error {
	if p.n == 0 || p.err != nil {
		return p.err
	}
	p.largest = max(p.largest, len(p.fam))
	var head [binaryMaxVarint]byte
	h := protowire.AppendVarint(head[:0], uint64(len(p.fam)))
	if _, p.err = p.w.Write(h); p.err != nil {
		return p.err
	}
	for rest := p.fam; len(rest) > 0 && p.err == nil; {
		n := min(len(rest), protoChunk)
		_, p.err = p.w.Write(rest[:n])
		rest = rest[n:]
	}
	return p.err
}

const binaryMaxVarint = 10
