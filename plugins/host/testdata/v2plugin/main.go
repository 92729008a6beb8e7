// Command v2plugin pretends to be a plugin built for a future connector protocol v2, to
// test that the host refuses it with a clear message.
package main

import (
	"context"

	"github.com/hashicorp/go-plugin"

	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/internal/wire"
)

type conn struct{}

func (conn) Spec() connectors.Spec                          { return connectors.Spec{Type: "v2"} }
func (conn) Check(context.Context, connectors.Config) error { return nil }
func (conn) Discover(context.Context, connectors.Config) ([]connectors.Stream, error) {
	return nil, nil
}
func (conn) Read(context.Context, connectors.Config, connectors.State, connectors.Emitter) error {
	return nil
}

func main() {
	hs := wire.Handshake
	hs.ProtocolVersion = 2
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  hs,
		VersionedPlugins: map[int]plugin.PluginSet{2: {wire.PluginName: &wire.GRPCPlugin{Impl: wire.NewServer(conn{}, "9.0.0")}}},
		GRPCServer:       plugin.DefaultGRPCServer,
	})
}
