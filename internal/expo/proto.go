package expo

import (
	"io"
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
)

// Proto writes delimited protobuf MetricFamily messages (what Prometheus
// asks for first when native histograms are on), with native histograms.
// Messages are appended field by field, as client_golang's types would
// marshal them, without building those types: at 10,000 probes a scrape
// is some 350,000 series.
type Proto struct {
	w   io.Writer
	f   *Family
	fam []byte // the family's message
	m   []byte // one Metric
	sub []byte // a message inside the Metric
	n   int
	own []Label
	err error
}

// NewProto returns an encoder writing to w.
func NewProto(w io.Writer) *Proto { return &Proto{w: w} }

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

// labels starts a Metric with its label pairs, the family's own spliced in
// where they sort.
func (p *Proto) labels(ls *Labels, own []Label) {
	p.m = p.m[:0]
	if len(own) == 0 {
		p.m = append(p.m, ls.proto...)
		return
	}
	p.own = append(p.own[:0], own...)
	if len(p.own) > 1 {
		sort.Slice(p.own, func(i, j int) bool { return p.own[i].Name < p.own[j].Name })
	}
	j := 0
	rest := ls.proto
	for _, name := range ls.names {
		for j < len(p.own) && p.own[j].Name < name {
			p.m = appendLabelPair(p.m, p.own[j].Name, p.own[j].Value)
			j++
		}
		_, _, n := protowire.ConsumeField(rest)
		p.m = append(p.m, rest[:n]...)
		rest = rest[n:]
	}
	for ; j < len(p.own); j++ {
		p.m = appendLabelPair(p.m, p.own[j].Name, p.own[j].Value)
	}
}

// metric appends the Metric in p.m to the family.
func (p *Proto) metric() {
	p.fam = protowire.AppendTag(p.fam, 4, protowire.BytesType)
	p.fam = protowire.AppendBytes(p.fam, p.m)
	p.n++
}

// Value writes one series of a gauge or counter.
func (p *Proto) Value(ls *Labels, own []Label, v float64) {
	p.labels(ls, own)
	field := protowire.Number(2) // gauge
	if p.f.Type == Counter {
		field = 3
	}
	p.sub = protowire.AppendTag(p.sub[:0], 1, protowire.Fixed64Type)
	p.sub = protowire.AppendFixed64(p.sub, math.Float64bits(v))
	p.m = protowire.AppendTag(p.m, field, protowire.BytesType)
	p.m = protowire.AppendBytes(p.m, p.sub)
	p.metric()
}

// Hist writes a histogram: classic buckets, and the native part if it has
// one.
func (p *Proto) Hist(ls *Labels, own []Label, h *Hist) {
	p.labels(ls, own)
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
	p.metric()
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
	if p.n > 0 && p.err == nil {
		var head [binaryMaxVarint]byte
		h := protowire.AppendVarint(head[:0], uint64(len(p.fam)))
		if _, p.err = p.w.Write(h); p.err == nil {
			_, p.err = p.w.Write(p.fam)
		}
	}
	return p.err
}

const binaryMaxVarint = 10
