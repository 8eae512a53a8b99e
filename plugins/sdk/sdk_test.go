package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
)

type fn func(ctx context.Context, req Request) Response

func (f fn) Probe(ctx context.Context, req Request) Response { return f(ctx, req) }

func TestServerProbe(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: hclogKeys}))
	var got Request
	s := &server{log: log, p: fn(func(ctx context.Context, req Request) Response {
		got = req
		var v struct{ Port int }
		if err := req.Decode(&v); err != nil {
			return Fail(ReasonConfig, "%v", err)
		}
		req.Log.Info("probing", "port", v.Port)
		return Response{Success: true, Metrics: []Metric{{Name: "m", Labels: map[string]string{"a": "1"}, Value: 2}}}
	})}
	resp, err := s.Probe(context.Background(), &pluginv1.ProbeRequest{Target: "t", Probe: "p", SettingsJson: []byte(`{"Port":5}`), TimeoutMs: 1000})
	if err != nil || !resp.Success || resp.DurationNs <= 0 || len(resp.Metrics) != 1 || resp.Metrics[0].Labels[0].Name != "a" {
		t.Fatalf("%v %v", resp, err)
	}
	if got.Target != "t" || got.Probe != "p" || time.Until(got.Deadline) > time.Second {
		t.Errorf("request %+v", got)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["@level"] != "info" || line["@message"] != "probing" || line["probe"] != "p" || line["port"] != 5.0 {
		t.Errorf("log line %s (%v)", buf.String(), err)
	}

	resp, _ = s.Probe(context.Background(), &pluginv1.ProbeRequest{SettingsJson: []byte(`{"Prot":5}`)})
	if resp.Success || resp.Reason != ReasonConfig || !strings.Contains(resp.Message, "Prot") {
		t.Errorf("unknown setting: %v", resp)
	}
}

func TestServerAnswersForLateProbe(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	s := &server{log: slog.New(slog.DiscardHandler), p: fn(func(ctx context.Context, req Request) Response {
		<-release // ignores ctx
		return OK("late")
	})}
	resp, err := s.Probe(context.Background(), &pluginv1.ProbeRequest{TimeoutMs: 50})
	if err != nil || resp.Success || resp.Reason != ReasonTimeout {
		t.Fatalf("%v %v", resp, err)
	}
}

// A watched call's long log line of accented text is cut between
// characters: protobuf refuses invalid UTF-8, and the answer must still go
// out.
func TestLongLogLineCutBetweenCharacters(t *testing.T) {
	long := "a" + strings.Repeat("é", maxLineLen)
	s := &server{log: slog.New(slog.DiscardHandler), p: fn(func(ctx context.Context, req Request) Response {
		req.Log.Info(long, "field", long)
		return OK("done")
	})}
	resp, err := s.Probe(context.Background(), &pluginv1.ProbeRequest{Debug: true, TimeoutMs: 1000})
	if err != nil || len(resp.Logs) != 1 {
		t.Fatalf("%v %v", resp, err)
	}
	if _, err := proto.Marshal(resp); err != nil {
		t.Fatalf("the answer cannot be sent: %v", err)
	}
	line := resp.Logs[0]
	for _, s := range []string{line.Message, line.Fields[len(line.Fields)-1].Value} {
		if !utf8.ValidString(s) || len(s) > maxLineLen+32 || !strings.HasSuffix(s, "é [2002 bytes cut]") {
			t.Errorf("kept %d bytes, ending %q", len(s), s[max(0, len(s)-24):])
		}
	}
}

// Text that is not UTF-8 in a probe's answer, its log lines or its
// problems is sent with U+FFFD in its place rather than failing the
// answer.
func TestTextNotUTF8IsSent(t *testing.T) {
	s := &server{log: slog.New(slog.DiscardHandler), p: fn(func(ctx context.Context, req Request) Response {
		req.Log.Info("caf\xe9", "k\xff", "\xfe")
		r := Fail(ReasonAssertion, "caf\xe9")
		r.Metrics = []Metric{{Name: "m", Help: "h\xff", Labels: map[string]string{"city": "M\xfcnchen"}, Value: 1}}
		return r
	})}
	resp, err := s.Probe(context.Background(), &pluginv1.ProbeRequest{Debug: true, TimeoutMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proto.Marshal(resp); err != nil {
		t.Fatalf("the answer cannot be sent: %v", err)
	}
	m := resp.Metrics[0]
	if resp.Message != "caf\uFFFD" || m.Help != "h\uFFFD" || m.Labels[0].Value != "M\uFFFDnchen" {
		t.Errorf("answer %v", resp)
	}
	if l := resp.Logs[0]; l.Message != "caf\uFFFD" || l.Fields[len(l.Fields)-1].Name != "k\uFFFD" || l.Fields[len(l.Fields)-1].Value != "\uFFFD" {
		t.Errorf("log line %v", l)
	}
}
