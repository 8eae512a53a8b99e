package sdk

import (
	"context"
	"encoding/json"
	"fmt"
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
	if os.Getenv(Handshake.MagicCookieKey) != Handshake.MagicCookieValue {
		// Run by hand: go-plugin's own answer does not say what to do.
		os.Stderr.WriteString(handRunHelp(infoOf(p), executable()))
		os.Exit(1)
	}
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

// AgentPIDEnv names the variable in which the agent passes the process id
// of the plugin's parent (the agent, or on Linux the agent's process keeper),
// so that a plugin whose parent died before the plugin got to look still
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

// infoOf is what p says about itself, or its executable's name.
func infoOf(p Prober) Info {
	if d, ok := p.(Describer); ok {
		return d.Describe()
	}
	return Info{Name: filepath.Base(os.Args[0])}
}

func executable() string {
	if exe, err := os.Executable(); err == nil {
		return exe
	}
	return os.Args[0]
}

// handRunHelp tells someone who ran the plugin by hand how the agent runs
// it instead.
func handRunHelp(info Info, exe string) string {
	name := strings.ToLower(info.Name)
	if name == "" {
		name = "myplugin"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "This is a sloagent plugin (%s", info.Name)
	if info.Version != "" {
		fmt.Fprintf(&b, " %s", info.Version)
	}
	b.WriteString("): the agent starts it, it is not run by hand.\n")
	if info.Description != "" {
		fmt.Fprintf(&b, "%s\n", info.Description)
	}
	fmt.Fprintf(&b, "Declare it in the agent's config and use it from probes of kind plugin:\n\n")
	fmt.Fprintf(&b, "  plugins:\n    - name: %s\n      command: %s\n  probes:\n", name, exe)
	fmt.Fprintf(&b, "    - name: example\n      kind: plugin\n      target: ...\n      plugin:\n        name: %s\n", name)
	if len(info.Settings) > 0 {
		b.WriteString("        settings:\n")
		for _, st := range info.Settings {
			req := ""
			if st.Required {
				req = " (required)"
			}
			fmt.Fprintf(&b, "          %s: ...   # %s%s\n", st.Name, st.Description, req)
		}
	}
	b.WriteString("\nThen check it with: sloagent check-config AGENT.yml\n")
	return b.String()
}

func (s *server) Describe(context.Context, *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	info := infoOf(s.p)
	out := &pluginv1.DescribeResponse{
		Name: info.Name, Version: info.Version, Description: info.Description,
		Reasons: info.Reasons,
	}
	for _, st := range info.Settings {
		out.Settings = append(out.Settings, &pluginv1.Setting{Name: st.Name, Description: st.Description, Required: st.Required})
	}
	return out, nil
}

// request is what a call asks of the plugin, due by the call's deadline.
func (s *server) request(ctx context.Context, target, probe string, settings []byte) Request {
	deadline, _ := ctx.Deadline()
	return Request{
		Target:   target,
		Probe:    probe,
		Settings: json.RawMessage(settings),
		Deadline: deadline,
		Log:      s.log.With("probe", probe),
	}
}

func (s *server) Probe(ctx context.Context, in *pluginv1.ProbeRequest) (*pluginv1.ProbeResponse, error) {
	if in.TimeoutMs > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(in.TimeoutMs)*time.Millisecond)
		defer cancel()
	}
	req := s.request(ctx, in.Target, in.Probe, in.SettingsJson)
	var watched *capture
	if in.Debug {
		watched = newCapture(s.log.Handler())
		req.Log = slog.New(watched).With("probe", in.Probe)
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
	out := toProto(r)
	if watched != nil {
		out.Logs = watched.taken()
	}
	return out, nil
}

func toProto(r Response) *pluginv1.ProbeResponse {
	out := &pluginv1.ProbeResponse{
		Success: r.Success, Reason: valid(r.Reason), Message: valid(r.Message),
		DurationNs: int64(r.Duration),
	}
	for _, m := range r.Metrics {
		pm := &pluginv1.Metric{Name: valid(m.Name), Help: valid(m.Help), Value: m.Value}
		for k, v := range m.Labels {
			pm.Labels = append(pm.Labels, &pluginv1.Label{Name: valid(k), Value: valid(v)})
		}
		out.Metrics = append(out.Metrics, pm)
	}
	return out
}

// valid is s with each run of bytes that is not UTF-8 replaced by U+FFFD:
// protobuf refuses to send a string that is not valid UTF-8, and a probe
// that quotes what its target sent (a banner, a reply in another
// encoding) must still get its answer, and its message, to the agent.
func valid(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
