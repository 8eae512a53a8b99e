package expo

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"
)

// source writes a few families the way the agent's sources do: gauges and
// counters with and without own labels, awkward label values, and
// histograms whose native buckets have gaps of every width.
func source(enc Encoder) error {
	a := NewLabels([]string{"probe", "agent", "team"}, []string{"api", `a "quoted" \ one`, ""})
	b := NewLabels([]string{"agent", "probe", "team"}, []string{"x\ny", "web", "payments"})
	gauge := Family{Name: "probe_success", Help: "Whether it\nworked \\ or not.", Type: Gauge}
	counter := Family{Name: "probe_failures_total", Help: "Failures.", Type: Counter, Labels: []string{"reason"}}
	info := Family{Name: "probe_tls_info", Help: "Info.", Type: Gauge, Labels: []string{"version", "cipher"}}
	hist := Family{Name: "probe_run_duration_seconds", Help: "Durations.", Type: Histogram}
	empty := Family{Name: "probe_never", Help: "Nothing.", Type: Gauge}

	enc.Family(&gauge)
	enc.Value(a, nil, 1)
	enc.Value(b, nil, 0)
	if err := enc.End(); err != nil {
		return err
	}
	enc.Family(&counter)
	enc.Value(a, []Label{{Name: "reason", Value: "timeout"}}, 3)
	enc.Value(a, []Label{{Name: "reason", Value: "dns"}}, 1e20)
	enc.Value(b, []Label{{Name: "reason", Value: "zz"}}, 0.5)
	if err := enc.End(); err != nil {
		return err
	}
	enc.Family(&info)
	enc.Value(b, []Label{{Name: "version", Value: "TLS 1.3"}, {Name: "cipher", Value: "AES"}}, 1)
	if err := enc.End(); err != nil {
		return err
	}
	enc.Family(&empty)
	if err := enc.End(); err != nil {
		return err
	}
	enc.Family(&hist)
	rng := rand.New(rand.NewPCG(7, 8))
	created := time.Unix(1700000000, 123456789)
	for i, ls := range []*Labels{a, b, a.With("extra", "1"), b.With("extra", "2")} {
		h := Hist{Bounds: []float64{.1, 1, 10}, Counts: make([]uint64, 4), Native: true, Schema: int32(3 - i),
			ZeroThreshold: prometheus.DefNativeHistogramZeroThreshold, Created: created}
		idx := int32(-5)
		for range 6 * i {
			idx += 1 + int32(rng.IntN(5)) // gaps of 0 to 4 buckets
			n := uint64(1 + rng.IntN(9))
			h.Buckets = append(h.Buckets, NativeBucket{Index: idx, Count: n})
			h.Count += n
			h.Sum += float64(n) * 0.5
			h.Counts[rng.IntN(4)] += n
		}
		if i == 1 {
			h.ZeroCount = 2
			h.Count += 2
			h.Counts[0] += 2
		}
		enc.Hist(ls, nil, &h)
	}
	return enc.End()
}

type sourceCollector struct{}

func (sourceCollector) Describe(chan<- *prometheus.Desc) {}
func (sourceCollector) Collect(ch chan<- prometheus.Metric) {
	_ = source(NewMetrics(ch))
}

func gathered(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(sourceCollector{})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		normalize(mf)
		out[mf.GetName()] = mf
	}
	return out
}

func normalize(mf *dto.MetricFamily) {
	for _, m := range mf.Metric {
		sort.Slice(m.Label, func(i, j int) bool { return m.Label[i].GetName() < m.Label[j].GetName() })
	}
	sort.Slice(mf.Metric, func(i, j int) bool { return mf.Metric[i].String() < mf.Metric[j].String() })
}

// The protobuf encoder writes exactly what client_golang's types write for
// the same series, native histograms included.
func TestProtoMatchesRegistry(t *testing.T) {
	var buf bytes.Buffer
	if err := source(NewProto(&buf)); err != nil {
		t.Fatal(err)
	}
	want := gathered(t)
	got := map[string]*dto.MetricFamily{}
	dec := expfmt.NewDecoder(&buf, expfmt.NewFormat(expfmt.TypeProtoDelim))
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		normalize(&mf)
		got[mf.GetName()] = &mf
	}
	if len(got) != len(want) || got["probe_never"] != nil {
		t.Errorf("families: got %d, want %d (an empty family must be left out)", len(got), len(want))
	}
	for name, w := range want {
		if !proto.Equal(got[name], w) {
			t.Errorf("%s differs:\nproto:    %v\nregistry: %v", name, got[name], w)
		}
	}
}

// A family larger than the pieces End hands on, written by encoders sized
// too small and too large, reads back whole, each series once.
func TestProtoLargeFamilies(t *testing.T) {
	f := Family{Name: "probe_success", Help: "Success.", Type: Gauge}
	c := Family{Name: "probe_failures_total", Help: "Failures.", Type: Counter, Labels: []string{"reason"}}
	const n = 20000 // some 1.5 MB a family
	sets := make([]*Labels, n)
	for i := range sets {
		sets[i] = NewLabels([]string{"probe", "agent"}, []string{fmt.Sprintf("probe-%06d-%s", i, strings.Repeat("x", 30)), "a"})
	}
	for _, size := range []int{0, 100, 64 << 20} {
		var buf bytes.Buffer
		p := NewProtoSized(&buf, size)
		for _, fam := range []*Family{&f, &c} {
			p.Family(fam)
			for i, ls := range sets {
				var own []Label
				if fam == &c {
					own = []Label{{Name: "reason", Value: "timeout"}}
				}
				p.Value(ls, own, float64(i))
			}
			if err := p.End(); err != nil {
				t.Fatal(err)
			}
		}
		if p.Largest() < protoChunk*2 {
			t.Fatalf("largest family %d bytes: not larger than the pieces", p.Largest())
		}
		dec := expfmt.NewDecoder(&buf, expfmt.NewFormat(expfmt.TypeProtoDelim))
		var names []string
		for {
			var mf dto.MetricFamily
			if err := dec.Decode(&mf); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			names = append(names, mf.GetName())
			if len(mf.Metric) != n {
				t.Fatalf("size %d: %s has %d series, want %d", size, mf.GetName(), len(mf.Metric), n)
			}
			for i, m := range mf.Metric {
				v := m.GetGauge().GetValue()
				if mf.GetType() == dto.MetricType_COUNTER {
					v = m.GetCounter().GetValue()
					if l := m.GetLabel(); len(l) != 3 || l[2].GetName() != "reason" || l[2].GetValue() != "timeout" {
						t.Fatalf("size %d: series %d labels %v", size, i, l)
					}
				}
				if v != float64(i) || m.GetLabel()[1].GetValue() != sets[i].Values()[1] {
					t.Fatalf("size %d: series %d is %v %v", size, i, m.GetLabel(), v)
				}
			}
		}
		if fmt.Sprint(names) != "[probe_success probe_failures_total]" {
			t.Errorf("size %d: families %v", size, names)
		}
	}
}

// The text encoder writes what client_golang's text encoder writes for the
// same series (without native buckets, which the format lacks).
func TestTextMatchesRegistry(t *testing.T) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := source(NewText(w)); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	got, err := parser.TextToMetricFamilies(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	for name, mf := range gathered(t) {
		var a, b bytes.Buffer
		for _, m := range mf.Metric {
			if h := m.Histogram; h != nil {
				*h = dto.Histogram{SampleCount: h.SampleCount, SampleSum: h.SampleSum, Bucket: h.Bucket}
			}
		}
		normalize(got[name])
		if _, err := expfmt.MetricFamilyToText(&a, got[name]); err != nil {
			t.Fatal(err)
		}
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("%s differs:\ntext:\n%s\nregistry:\n%s", name, a.String(), b.String())
		}
	}
	if _, ok := got["probe_never"]; ok {
		t.Error("an empty family was written")
	}
}

var labelPair = regexp.MustCompile(`\w+="(?:[^"\\]|\\.)*"`)

// The OpenMetrics encoder writes the lines client_golang's OpenMetrics
// encoder writes for the same series (without native buckets), values
// compared as numbers: it writes counts as integers, client_golang as 3.0.
func TestOpenMetricsMatchesRegistry(t *testing.T) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := source(NewOpenMetrics(w)); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	var want bytes.Buffer
	for _, mf := range gathered(t) {
		for _, m := range mf.Metric {
			if h := m.Histogram; h != nil {
				*h = dto.Histogram{SampleCount: h.SampleCount, SampleSum: h.SampleSum, Bucket: h.Bucket}
			}
		}
		if _, err := expfmt.MetricFamilyToOpenMetrics(&want, mf); err != nil {
			t.Fatal(err)
		}
	}
	lines := func(b []byte) map[string]float64 {
		out := map[string]float64{}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			series, v, ok := strings.Cut(l, "} ")
			if strings.HasPrefix(l, "#") || !ok {
				out[l] = 0
				continue
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("value of %q: %v", l, err)
			}
			// Own labels follow the shared ones, as in the text format;
			// the order of labels carries no meaning.
			name, labels, _ := strings.Cut(series, "{")
			pairs := labelPair.FindAllString(labels, -1)
			sort.Strings(pairs)
			out[name+"{"+strings.Join(pairs, ",")+"}"] = f
		}
		return out
	}
	got, exp := lines(buf.Bytes()), lines(want.Bytes())
	for l, v := range exp {
		if g, ok := got[l]; !ok || g != v {
			t.Errorf("missing or different: %s %v (got %v)", l, v, g)
		}
	}
	for l := range got {
		if _, ok := exp[l]; !ok {
			t.Errorf("not written by client_golang: %s", l)
		}
	}
	if t.Failed() {
		t.Logf("ours:\n%s\nclient_golang's:\n%s", buf.String(), want.String())
	}
}

// /metrics serves OpenMetrics to a scraper that prefers it, as Prometheus
// does, with the registry's families and the sources' and one # EOF last.
func TestExpositionServesOpenMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "sloagent_reloads_total", Help: "Reloads."}))
	e := &Exposition{Rest: reg, Sources: []Source{func(enc Encoder, _ map[string]bool) error { return source(enc) }}}
	h := http.Header{}
	h.Set("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	f := Negotiate(h)
	if f != FormatOpenMetrics || !strings.HasPrefix(f.ContentType(), "application/openmetrics-text; version=1.0.0") {
		t.Fatalf("Prometheus' Accept header negotiated %v, %s", f, f.ContentType())
	}
	var buf bytes.Buffer
	if err := e.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"# TYPE sloagent_reloads counter\nsloagent_reloads_total 0", "# TYPE probe_failures counter\n",
		`probe_run_duration_seconds_bucket{agent="a \"quoted\" \\ one",probe="api",team="",le="1.0"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "\n# EOF\n") || strings.Count(out, "# EOF") != 1 {
		t.Errorf("not ended by one # EOF:\n%s", out)
	}
	h.Set("Accept", "text/plain;version=0.0.4")
	if Negotiate(h) != FormatText {
		t.Error("text asked for, not negotiated")
	}
}
