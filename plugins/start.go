package plugins

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"

	"github.com/sloagent/sloagent/internal/clip"
	"github.com/sloagent/sloagent/plugins/sdk"
	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
)

// maxAnswer bounds a plugin's answer to one call.
const maxAnswer = 4 << 20

// proc is one running plugin process.
type proc struct {
	client *plugin.Client
	run    *procRunner
	rpc    pluginv1.PluginClient
	info   *pluginv1.DescribeResponse
}

// start runs the plugin and waits for its handshake and its answer to
// Describe. ctx ends the process whenever it is cancelled, also later.
func start(ctx context.Context, c *Config, log *slog.Logger) (*proc, error) {
	// go-plugin's own check would hash the file it starts, which is not the
	// plugin where proctree starts it.
	if c.SHA256 != "" {
		if sum := fileSHA256(c.Command); sum != strings.ToLower(c.SHA256) {
			return nil, fmt.Errorf("plugin %q: refusing to start %s: its sha256 is %s, the config expects %s",
				c.Name, c.Command, sum, c.SHA256)
		}
	}
	p := &proc{}
	out := &lineWriter{log: log.With("stream", "stdout"), level: slog.LevelWarn}
	errw := &lineWriter{log: log.With("stream", "stderr"), level: slog.LevelInfo}
	run := runnerFunc(ctx, c)
	p.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: sdk.Handshake,
		Plugins:         plugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{}},
		RunnerFunc: func(l hclog.Logger, cmd *exec.Cmd, dir string) (runner.Runner, error) {
			r, err := run(l, cmd, dir)
			p.run, _ = r.(*procRunner)
			return r, err
		},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         c.AutoMTLS == nil || *c.AutoMTLS,
		Managed:          false,
		SkipHostEnv:      true,
		StartTimeout:     c.StartTimeout.D(),
		Logger:           newHCLog(log),
		Stderr:           errw,
		SyncStdout:       out,
		SyncStderr:       errw,
		// go-plugin allows 2 GiB messages; a plugin's answer is small.
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxAnswer),
			grpc.ForceCodecV2(answerCodec{encoding.GetCodecV2(proto.Name)}))},
	})
	rpcClient, err := p.client.Client()
	if err != nil {
		p.kill()
		return nil, startError(c, err, p.head())
	}
	raw, err := rpcClient.Dispense(sdk.PluginName)
	if err != nil {
		p.kill()
		return nil, fmt.Errorf("plugin %q: %w", c.Name, err)
	}
	p.rpc = raw.(pluginv1.PluginClient)
	dctx, cancel := context.WithTimeout(ctx, c.StartTimeout.D())
	defer cancel()
	p.info, err = p.rpc.Describe(dctx, &pluginv1.DescribeRequest{})
	if err != nil {
		p.kill()
		return nil, fmt.Errorf("plugin %q does not speak sloagent.plugin.v1: Describe failed: %s", c.Name, clip.Head(err.Error(), maxMessage))
	}
	// What the plugin says of itself goes to every start's log line.
	p.info.Name, p.info.Version = clip.Head(p.info.GetName(), 256), clip.Head(p.info.GetVersion(), 256)
	return p, nil
}

// kill ends the process and everything it started, then lets go-plugin
// release its connection and goroutines.
func (p *proc) kill() {
	if p.run != nil {
		_ = p.run.Kill(context.Background())
	}
	p.client.Kill()
}

func (p *proc) pid() int {
	if p.run == nil {
		return 0
	}
	return p.run.pid()
}

func (p *proc) head() []byte {
	if p.run == nil {
		return nil
	}
	return p.run.head()
}

// environ is the plugin's environment, but for sdk.AgentPIDEnv, which
// proctree sets to the pid of the plugin's parent.
func environ(c *Config) []string {
	var env []string
	for _, k := range c.InheritEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range c.Env {
		env = append(env, k+"="+v.Reveal())
	}
	return env
}

// handshakeRE matches go-plugin's handshake line:
// CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL[|CERT...].
var handshakeRE = regexp.MustCompile(`^\d+\|\d+\|(tcp|unix)\|[^|]+\|[a-z]+(\|.*)?$`)

// startError turns go-plugin's start errors into ones that say what to fix.
// head is what the plugin printed first: anything but a handshake there
// makes go-plugin fail with whatever its parser tripped over ("error
// parsing core protocol version" for a line with enough '|'), so it is
// named instead.
func startError(c *Config, err error, head []byte) error {
	msg := err.Error()
	first, _, _ := bytes.Cut(head, []byte("\n"))
	first = bytes.TrimSpace(first)
	switch {
	case len(head) > 0 && !handshakeRE.Match(first):
		shown := string(first)
		if len(first) > 200 || len(first) == 0 {
			shown = clip.Head(string(head), 200)
		}
		return fmt.Errorf("plugin %q wrote %q to stdout before the go-plugin handshake: a plugin must print nothing on stdout before serving (log to stderr)", c.Name, shown)
	case len(head) == 0 && !strings.Contains(msg, "timeout"):
		return fmt.Errorf("plugin %q exited or closed stdout before the go-plugin handshake (is it a sloagent plugin? see its log lines above)", c.Name)
	case strings.Contains(msg, "Incompatible API version"), strings.Contains(msg, "incompatible API version"):
		return fmt.Errorf("plugin %q speaks another protocol version: %w", c.Name, err)
	}
	return fmt.Errorf("plugin %q: %w", c.Name, err)
}

func fileSHA256(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return hex.EncodeToString(h.Sum(nil))
}
