package sdk

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
)

// Serve runs p as a plugin until the agent stops it or goes away. It does not
// return.
func Serve(p Prober) {
	// The agent reads the original stderr line by line and turns JSON lines
	// with @level and @message into its own log entries; go-plugin swaps
	// os.Stderr for a pipe once serving, so the file is taken now.
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{
		Level:       slog.LevelDebug,
		ReplaceAttr: hclogKeys,
	}))
	go watchParent(log, time.Second)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &GRPCPlugin{Impl: &server{p: p, log: log}}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
	os.Exit(0)
}

// hclogKeys renames slog's keys to the ones go-plugin's log format uses.
func hclogKeys(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		a.Key = "@timestamp"
	case slog.LevelKey:
		a.Key = "@level"
		a.Value = slog.StringValue(strings.ToLower(a.Value.String()))
	case slog.MessageKey:
		a.Key = "@message"
	}
	return a
}

// AgentPIDEnv names the variable in which the agent passes its process id,
// so that a plugin whose agent died before the plugin got to look still
// knows it is orphaned.
const AgentPIDEnv = "SLOAGENT_AGENT_PID"

// watchParent exits when the agent is gone. Linux's parent-death signal is
// set by the agent where it can; this also covers other systems and an agent
// killed between fork and the signal's setting.
func watchParent(log *slog.Logger, every time.Duration) {
	parent := os.Getppid()
	if pid, err := strconv.Atoi(os.Getenv(AgentPIDEnv)); err == nil && pid > 0 {
		parent = pid
	}
	for range time.Tick(every) {
		if os.Getppid() != parent {
			log.Info("agent went away, exiting", "parent", parent)
			os.Exit(0)
		}
	}
}

// answerGrace is how long after the deadline a Probe may still answer
// before the SDK answers for it; the agent keeps back more than this.
const answerGrace = 50 * time.Millisecond

type server struct {
	pluginv1.UnimplementedPluginServer
	p   Prober
	log *slog.Logger
}

func (s *server) Describe(context.Context, *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	info := Info{Name: filepath.Base(os.Args[0])}
	if d, ok := s.p.(Describer); ok {
		info = d.Describe()
	}
	out := &pluginv1.DescribeResponse{
		Name: info.Name, Version: info.Version, Description: info.Description,
		Reasons: info.Reasons,
	}
	for _, st := range info.Settings {
		out.Settings = append(out.Settings, &pluginv1.Setting{Name: st.Name, Description: st.Description, Required: st.Required})
	}
	return out, nil
}

func (s *server) Probe(ctx context.Context, in *pluginv1.ProbeRequest) (*pluginv1.ProbeResponse, error) {
	if in.TimeoutMs > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(in.TimeoutMs)*time.Millisecond)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	req := Request{
		Target:   in.Target,
		Probe:    in.Probe,
		Settings: json.RawMessage(in.SettingsJson),
		Deadline: deadline,
		Log:      s.log.With("probe", in.Probe),
	}
	start := time.Now()
	done := make(chan Response, 1)
	go func() { done <- s.p.Probe(ctx, req) }()
	var r Response
	select {
	case r = <-done:
	case <-ctx.Done():
		// A probe that honours ctx answers at about the same moment; its
		// own answer says more than ours.
		select {
		case r = <-done:
		case <-time.After(answerGrace):
			r = Fail(ReasonTimeout, "probe did not finish within its deadline")
		}
	}
	if r.Duration == 0 {
		r.Duration = time.Since(start)
	}
	return toProto(r), nil
}

func toProto(r Response) *pluginv1.ProbeResponse {
	out := &pluginv1.ProbeResponse{
		Success: r.Success, Reason: r.Reason, Message: r.Message,
		DurationNs: int64(r.Duration),
	}
	for _, m := range r.Metrics {
		pm := &pluginv1.Metric{Name: m.Name, Help: m.Help, Value: m.Value}
		for k, v := range m.Labels {
			pm.Labels = append(pm.Labels, &pluginv1.Label{Name: k, Value: v})
		}
		out.Metrics = append(out.Metrics, pm)
	}
	return out
}
