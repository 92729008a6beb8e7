package wire

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	pb "github.com/revsync/revsync/plugins/proto/connector/v1"
)

// hangingConnector emits one record, then waits for cancellation.
type hangingConnector struct{ started chan struct{} }

func (hangingConnector) Spec() connectors.Spec                          { return connectors.Spec{Type: "hang"} }
func (hangingConnector) Check(context.Context, connectors.Config) error { return nil }
func (hangingConnector) Discover(context.Context, connectors.Config) ([]connectors.Stream, error) {
	return nil, nil
}
func (h hangingConnector) Read(ctx context.Context, _ connectors.Config, _ connectors.State, emit connectors.Emitter) error {
	if err := emit.Record(ctx, connectors.Record{Entity: canonical.Customers, Fields: map[string]string{"external_id": "c1"}}); err != nil {
		return err
	}
	close(h.started)
	<-ctx.Done()
	return connectors.TransientError(ctx.Err())
}

func startServer(t *testing.T, c connectors.Connector) pb.ConnectorClient {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(ServerOptions()...)
	pb.RegisterConnectorServer(srv, NewServer(c, "test"))
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///test", append(DialOptions(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))...)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(); srv.Stop() })
	return pb.NewConnectorClient(conn)
}

func TestStop_CancelsAnInFlightRead(t *testing.T) {
	h := hangingConnector{started: make(chan struct{})}
	rpc := startServer(t, h)
	client := &Client{RPC: rpc}
	pc, err := ConfigToProto("s", "", nil)
	require.NoError(t, err)

	done := make(chan error, 1)
	var got []connectors.Record
	go func() {
		done <- client.Read(context.Background(), pc, nil, emitFunc(func(r connectors.Record) { got = append(got, r) }))
	}()
	<-h.started
	_, err = rpc.Stop(context.Background(), &pb.StopRequest{})
	require.NoError(t, err)
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Equal(t, connectors.KindTransient, connectors.KindOf(err), "the connector's own error comes back")
		assert.Contains(t, err.Error(), "context canceled")
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not end the Read")
	}
	assert.Len(t, got, 1, "records sent before Stop are delivered")
}

func TestGetSpec_ReportsVersionAndCapabilities(t *testing.T) {
	rpc := startServer(t, hangingConnector{started: make(chan struct{})})
	resp, err := rpc.GetSpec(context.Background(), &pb.GetSpecRequest{})
	require.NoError(t, err)
	assert.Equal(t, uint32(ProtocolVersion), resp.GetProtocolVersion())
	assert.Contains(t, resp.GetCapabilities(), pb.Capability_CAPABILITY_SNAPSHOT_COMPLETE)
}

// emitFunc is an Emitter that hands records to a func and accepts everything else.
type emitFunc func(connectors.Record)

func (f emitFunc) Record(_ context.Context, r connectors.Record) error    { f(r); return nil }
func (emitFunc) Reject(context.Context, canonical.Rejection) error        { return nil }
func (emitFunc) Checkpoint(context.Context, string, string) error         { return nil }
func (emitFunc) SnapshotComplete(context.Context, canonical.Entity) error { return nil }
