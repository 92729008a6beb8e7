// Package sdktest runs a connector through the real connector.v1 gRPC server and client,
// in process and without go-plugin's subprocess, so that integrators can unit-test what
// revsync will receive from their plugin (conversions, batching, errors, settings
// decoding). It is for tests only.
package sdktest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/internal/wire"
	pb "github.com/revsync/revsync/plugins/proto/connector/v1"
	"github.com/revsync/revsync/plugins/sdk"
)

// Connector serves c on an in-memory gRPC connection, closed when the test ends, and
// returns a connectors.Connector that reaches it only through the protocol. Its Spec is
// c's; settings (a typed struct with yaml tags, or a map) travel as JSON like the host
// sends them.
func Connector(tb testing.TB, c connectors.Connector) connectors.Connector {
	tb.Helper()
	client, stop, err := Start(c)
	if err != nil {
		tb.Fatalf("sdktest: %v", err)
	}
	tb.Cleanup(stop)
	return client
}

// Start is Connector without testing.TB (for benchmarks and examples): call stop when
// done.
func Start(c connectors.Connector) (client connectors.Connector, stop func(), err error) {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(wire.ServerOptions()...)
	pb.RegisterConnectorServer(srv, wire.NewServer(c, sdk.Version))
	go func() { _ = srv.Serve(lis) }()
	opts := append(wire.DialOptions(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	conn, err := grpc.NewClient("passthrough:///sdktest", opts...)
	if err != nil {
		srv.Stop()
		return nil, nil, fmt.Errorf("dialing the in-process plugin server: %w", err)
	}
	stop = func() {
		_ = conn.Close()
		srv.Stop()
	}
	return &adapter{spec: c.Spec(), rpc: &wire.Client{RPC: pb.NewConnectorClient(conn), Log: slog.Default()}}, stop, nil
}

// adapter is the client side as a connectors.Connector.
type adapter struct {
	spec connectors.Spec
	rpc  *wire.Client
}

func (a *adapter) Spec() connectors.Spec { return a.spec }

func (a *adapter) Check(ctx context.Context, cfg connectors.Config) error {
	pc, err := wire.ConfigToProto(cfg.Source, cfg.BaseDir, cfg.Settings)
	if err != nil {
		return err
	}
	return a.rpc.Check(ctx, pc)
}

func (a *adapter) Discover(ctx context.Context, cfg connectors.Config) ([]connectors.Stream, error) {
	pc, err := wire.ConfigToProto(cfg.Source, cfg.BaseDir, cfg.Settings)
	if err != nil {
		return nil, err
	}
	return a.rpc.Discover(ctx, pc)
}

func (a *adapter) Read(ctx context.Context, cfg connectors.Config, state connectors.State, emit connectors.Emitter) error {
	pc, err := wire.ConfigToProto(cfg.Source, cfg.BaseDir, cfg.Settings)
	if err != nil {
		return err
	}
	return a.rpc.Read(ctx, pc, state, emit)
}
