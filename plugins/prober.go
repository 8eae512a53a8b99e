package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"

	"github.com/sloagent/sloagent/internal/clip"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
	"github.com/sloagent/sloagent/probes"
)

// prober runs one probe through its plugin.
type prober struct {
	inst     *instance
	probe    string
	target   string
	settings []byte
	calls    prometheus.Observer
	reserved func(string) bool
}

// deadlineMargin is the part of a run's time kept back from the plugin, so
// that its own timeout answer arrives before the agent gives up on it.
func deadlineMargin(left time.Duration) time.Duration {
	return min(left/4, time.Second)
}

func (p *prober) Probe(ctx context.Context, log *slog.Logger) probes.Result {
	start := time.Now()
	rpc, info, gen, err := p.inst.acquire(ctx)
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
			return probes.Fail(probes.ReasonCanceled, err.Error())
		}
		return probes.Fail(probes.ReasonPluginUnavailable, err.Error())
	}
	// A run someone watches (?debug=true) gets the plugin's log lines of
	// the call in the answer, into its own log; the agent's log has them
	// from the plugin's stderr either way.
	watched := log.Enabled(ctx, slog.LevelDebug)
	req := &pluginv1.ProbeRequest{Target: p.target, SettingsJson: p.settings, Probe: p.probe, Debug: watched}
	if d, ok := ctx.Deadline(); ok {
		left := time.Until(d)
		req.TimeoutMs = max(1, (left - deadlineMargin(left)).Milliseconds())
	}
	resp, err := rpc.Probe(ctx, req)
	took := time.Since(start)
	p.calls.Observe(took.Seconds())
	if err != nil {
		return p.callFailed(ctx, gen, err, took)
	}
	p.inst.answeredCall(gen)
	if watched {
		p.replay(ctx, log, resp.GetLogs())
	}
	res := probes.Result{
		Success:  resp.Success,
		Message:  clip.Head(resp.Message, maxMessage),
		Duration: time.Duration(resp.DurationNs),
	}
	if res.Duration <= 0 {
		res.Duration = took
	}
	if !res.Success {
		res.Reason = p.reason(resp.Reason, info, &res)
	}
	var dropped []string
	res.Samples, dropped = samples(resp.Metrics, p.reserved)
	if len(dropped) > 0 {
		log.Warn("dropped metrics returned by the plugin", "plugin", p.inst.cfg.Name, "probe", p.probe, "problems", dropped)
	}
	return res
}

// answerCodec is the proto codec of the calls to plugins, whose decoding
// errors say that they are one: gRPC reports an answer it could not decode
// (such as text that is not UTF-8, which a plugin written without the SDK
// may send) as codes.Internal, as it does a connection lost mid-call, and
// only the message tells the two apart.
type answerCodec struct{ encoding.CodecV2 }

// undecodable begins the error of an answer answerCodec could not decode.
const undecodable = "the agent cannot read the answer"

func (c answerCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if err := c.CodecV2.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", undecodable, err)
	}
	return nil
}

// callFailed turns a failed gRPC call into a result, and has a plugin that
// missed its deadline or lost its connection killed and restarted: it is
// hung or broken, and the next runs should not wait on it too.
func (p *prober) callFailed(ctx context.Context, gen int, err error, took time.Duration) probes.Result {
	name := p.inst.cfg.Name
	st := status.Convert(err)
	// A plugin's status text may run to megabytes (gRPC lets a status
	// header be 16 MiB); the run's message keeps the start of it.
	code, msg := st.Code(), clip.Head(st.Message(), maxMessage)
	_, why, unread := strings.Cut(msg, undecodable)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || code == codes.DeadlineExceeded:
		p.inst.restart(gen, fmt.Sprintf("did not answer a probe call within its deadline (%s)", took.Round(time.Millisecond)))
		r := probes.Fail(probes.ReasonTimeout, fmt.Sprintf("plugin %q did not answer within the probe's deadline (%s); restarting it", name, took.Round(time.Millisecond)))
		r.Duration = took
		return r
	case errors.Is(ctx.Err(), context.Canceled):
		return probes.Fail(probes.ReasonCanceled, "run canceled")
	case code == codes.Internal && unread:
		// The plugin is alive and answered; restarting it would not
		// change what it sends.
		p.inst.answeredCall(gen)
		return probes.Fail(probes.ReasonInternal, fmt.Sprintf("plugin %q answered, but %s%s", name, undecodable, clip.Head(why, 256)))
	case code == codes.Unavailable || code == codes.Canceled || code == codes.Internal:
		p.inst.restart(gen, "connection lost during a probe call: "+msg)
		return probes.Fail(probes.ReasonPluginUnavailable, fmt.Sprintf("plugin %q failed during the call (crashed?): %s", name, msg))
	}
	return probes.Fail(probes.ReasonPluginUnavailable, fmt.Sprintf("plugin %q: %s: %s", name, code, msg))
}

// maxMessage bounds a plugin's message; it goes to logs and the status page.
const maxMessage = 1024

// sharedReasons are the reasons any plugin may return.
var sharedReasons = map[string]bool{
	probes.ReasonTimeout: true, probes.ReasonDNS: true, probes.ReasonConnect: true,
	probes.ReasonTLS: true, probes.ReasonProtocol: true, probes.ReasonAssertion: true,
	probes.ReasonBodyMismatch: true, probes.ReasonStatusCode: true, probes.ReasonInternal: true,
	probes.ReasonCanceled: true, probes.ReasonConfig: true,
}

// maxPluginReasons bounds what a plugin may declare; reasons are label
// values.
const maxPluginReasons = 16

// reason keeps the reason label bounded: a plugin may return the shared
// reasons and the ones it declared; anything else becomes internal.
func (p *prober) reason(r string, info *pluginv1.DescribeResponse, res *probes.Result) string {
	if r == "" {
		return probes.ReasonAssertion
	}
	if sharedReasons[r] {
		return r
	}
	for i, d := range info.GetReasons() {
		if i >= maxPluginReasons {
			break
		}
		if d != r {
			continue
		}
		if len(r) <= maxReasonLength && conf.ValidMetricName(r) {
			return r
		}
		res.Message = fmt.Sprintf("(reason %q is not a name of at most %d bytes) %s", clip.Head(r, 40), maxReasonLength, res.Message)
		return probes.ReasonInternal
	}
	res.Message = fmt.Sprintf("(undeclared reason %q) %s", clip.Head(r, 40), res.Message)
	return probes.ReasonInternal
}

// maxReasonLength bounds a declared reason, which is a label value of
// every run and incident with it.
const maxReasonLength = 64

// maxReplayed bounds the plugin log lines a watched run takes from one
// answer.
const maxReplayed = 100

// replay writes the lines a plugin logged during a watched call to the
// run's log, at their level, with plugin=<name>.
func (p *prober) replay(ctx context.Context, log *slog.Logger, lines []*pluginv1.LogLine) {
	for i, l := range lines {
		if i == maxReplayed {
			log.Warn("more plugin log lines were dropped", "plugin", p.inst.cfg.Name, "lines", len(lines)-i)
			return
		}
		attrs := make([]slog.Attr, 0, len(l.GetFields())+1)
		attrs = append(attrs, slog.String("plugin", p.inst.cfg.Name))
		for _, f := range l.GetFields() {
			if f.GetName() != "probe" { // the run's log names the probe already
				attrs = append(attrs, slog.String(clip.Head(f.GetName(), 64), clip.Head(f.GetValue(), maxMessage)))
			}
		}
		log.LogAttrs(ctx, parseLevel(l.GetLevel()), clip.Head(l.GetMessage(), maxMessage), attrs...)
	}
}
