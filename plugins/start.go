package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/sloagent/sloagent/plugins/sdk"
	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
)

// maxAnswer bounds a plugin's answer to one call.
const maxAnswer = 4 << 20

// proc is one running plugin process.
type proc struct {
	client *plugin.Client
	cmd    *exec.Cmd
	rpc    pluginv1.PluginClient
	info   *pluginv1.DescribeResponse
}

// start runs the plugin and waits for its handshake and its answer to
// Describe. ctx ends the process whenever it is cancelled, also later.
func start(ctx context.Context, c *Config, log *slog.Logger) (*proc, error) {
	cmd := exec.CommandContext(ctx, c.Command, c.Args...)
	cmd.Env = environ(c)
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = time.Second

	var secure *plugin.SecureConfig
	if c.SHA256 != "" {
		sum, _ := hex.DecodeString(c.SHA256)
		secure = &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}
	out := &lineWriter{log: log.With("stream", "stdout"), level: slog.LevelWarn}
	errw := &lineWriter{log: log.With("stream", "stderr"), level: slog.LevelInfo}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          plugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{}},
		Cmd:              cmd,
		SecureConfig:     secure,
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
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxAnswer))},
	})
	p := &proc{client: client, cmd: cmd}
	rpcClient, err := client.Client()
	if err != nil {
		p.kill()
		return nil, startError(c, err)
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
		return nil, fmt.Errorf("plugin %q does not speak sloagent.plugin.v1: Describe failed: %w", c.Name, err)
	}
	return p, nil
}

// kill ends the process and everything in its process group, then lets
// go-plugin release its connection and goroutines.
func (p *proc) kill() {
	if p.cmd.Process != nil {
		_ = killGroup(p.cmd.Process.Pid)
	}
	p.client.Kill()
}

func (p *proc) pid() int {
	if p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func environ(c *Config) []string {
	env := []string{sdk.AgentPIDEnv + "=" + strconv.Itoa(os.Getpid())}
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

// startError turns go-plugin's start errors into ones that say what to fix.
func startError(c *Config, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return fmt.Errorf("plugin %q: refusing to start %s: its sha256 is %s, the config expects %s",
			c.Name, c.Command, fileSHA256(c.Command), c.SHA256)
	case strings.HasPrefix(msg, "Unrecognized remote plugin message: "):
		first, _, _ := strings.Cut(strings.TrimPrefix(msg, "Unrecognized remote plugin message: "), "\n")
		if first == "" {
			return fmt.Errorf("plugin %q exited or closed stdout before the go-plugin handshake (is it a sloagent plugin? see its log lines above)", c.Name)
		}
		if len(first) > 200 {
			first = first[:200] + "..."
		}
		return fmt.Errorf("plugin %q wrote %q to stdout before the go-plugin handshake: a plugin must print nothing on stdout before serving (log to stderr)", c.Name, first)
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
