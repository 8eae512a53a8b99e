package sdk

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
)

// Handshake is what the agent and a plugin agree on before talking: the
// go-plugin protocol version of the sloagent.plugin.v1 service and the magic
// cookie that tells a plugin binary it was started by the agent.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "SLOAGENT_PLUGIN",
	MagicCookieValue: "a3f1c0de-probe-plugin-v1",
}

// PluginName is the name the probe service is dispensed under.
const PluginName = "probe"

// GRPCPlugin joins the sloagent.plugin.v1 service to go-plugin. The agent
// uses it with a nil Impl to get a client; Serve uses it with the author's
// Prober.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl pluginv1.PluginServer
}

// GRPCServer registers the service.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pluginv1.RegisterPluginServer(s, p.Impl)
	return nil
}

// GRPCClient returns a pluginv1.PluginClient.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pluginv1.NewPluginClient(c), nil
}
