package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	pb "github.com/revsync/revsync/plugins/proto/connector/v1"
)

// ErrTransport marks a failure of the connection to the plugin (a crash, a broken
// stream) as opposed to an error the connector reported.
var ErrTransport = errors.New("plugin connection failed")

// stopTimeout bounds the Stop call sent when a Read is cancelled.
const stopTimeout = 2 * time.Second

// Client is the host side of the protocol: it calls a plugin and adapts the answers to
// the Go connector contract.
type Client struct {
	RPC pb.ConnectorClient
	// Log receives the plugin's LogLine messages; nil discards them.
	Log *slog.Logger
}

// ConfigToProto encodes a source's settings (a map, or a struct with yaml tags) as the
// JSON object a plugin receives.
func ConfigToProto(source, baseDir string, settings any) (*pb.Config, error) {
	m, err := SettingsMap(settings)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("source %q: config is not JSON-encodable: %w", source, err)
	}
	return &pb.Config{Source: source, SettingsJson: b, BaseDir: baseDir}, nil
}

// SettingsMap returns settings as a map: a map is returned as is, anything else goes
// through YAML so that its yaml tags name the keys.
func SettingsMap(settings any) (map[string]any, error) {
	switch s := settings.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return s, nil
	}
	text, err := yaml.Marshal(settings)
	if err != nil {
		return nil, fmt.Errorf("encoding settings: %w", err)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(text, &m); err != nil {
		return nil, fmt.Errorf("encoding settings: %w", err)
	}
	return m, nil
}

func transport(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, ErrTransport, err)
}

// Spec asks the plugin for its spec.
func (c *Client) Spec(ctx context.Context) (*pb.GetSpecResponse, error) {
	resp, err := c.RPC.GetSpec(ctx, &pb.GetSpecRequest{})
	if err != nil {
		return nil, transport("GetSpec", err)
	}
	return resp, nil
}

// Validate asks the plugin to decode and validate a config.
func (c *Client) Validate(ctx context.Context, cfg *pb.Config) ([]connectors.Problem, error) {
	resp, err := c.RPC.ValidateConfig(ctx, &pb.ValidateConfigRequest{Config: cfg})
	if err != nil {
		return nil, transport("ValidateConfig", err)
	}
	var problems []connectors.Problem
	for _, p := range resp.GetProblems() {
		problems = append(problems, connectors.Problem{Key: p.GetKey(), Message: p.GetMessage()})
	}
	return problems, ErrorFromProto(resp.GetError())
}

// Check runs the plugin's Check.
func (c *Client) Check(ctx context.Context, cfg *pb.Config) error {
	defer c.stopOnCancel(ctx)()
	resp, err := c.RPC.Check(ctx, &pb.CheckRequest{Config: cfg})
	if err != nil {
		return c.callError(ctx, "Check", err)
	}
	return ErrorFromProto(resp.GetError())
}

// Discover runs the plugin's Discover.
func (c *Client) Discover(ctx context.Context, cfg *pb.Config) ([]connectors.Stream, error) {
	defer c.stopOnCancel(ctx)()
	resp, err := c.RPC.Discover(ctx, &pb.DiscoverRequest{Config: cfg})
	if err != nil {
		return nil, c.callError(ctx, "Discover", err)
	}
	if err := ErrorFromProto(resp.GetError()); err != nil {
		return nil, err
	}
	return StreamsFromProto(resp.GetStreams()), nil
}

// Read runs the plugin's Read and hands what it streams to emit, in order. It returns
// nil only when the plugin ended the stream with End.
func (c *Client) Read(ctx context.Context, cfg *pb.Config, state connectors.State, emit connectors.Emitter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer c.stopOnCancel(ctx)()
	stream, err := c.RPC.Read(ctx, &pb.ReadRequest{Config: cfg, State: state,
		Accept: []pb.Capability{pb.Capability_CAPABILITY_COMPACT_BATCH}})
	if err != nil {
		return c.callError(ctx, "Read", err)
	}
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return transport("Read", errors.New("the plugin ended the stream without finishing"))
		}
		if err != nil {
			return c.callError(ctx, "Read", err)
		}
		done, err := c.deliver(ctx, msg, emit)
		if err != nil || done {
			return err
		}
	}
}

// deliver hands one stream message to emit; done reports the end of the stream.
func (c *Client) deliver(ctx context.Context, msg *pb.ReadResponse, emit connectors.Emitter) (done bool, err error) {
	switch m := msg.GetMessage().(type) {
	case *pb.ReadResponse_Records:
		for _, pr := range m.Records.GetRecords() {
			r, err := RecordFromProto(pr)
			if err != nil {
				return true, fmt.Errorf("plugin sent a bad record: %w", err)
			}
			if err := emit.Record(ctx, r); err != nil {
				return true, err
			}
		}
	case *pb.ReadResponse_CompactRecords:
		records, err := CompactRecordsFromProto(m.CompactRecords)
		if err != nil {
			return true, fmt.Errorf("plugin sent a bad record batch: %w", err)
		}
		for _, r := range records {
			if err := emit.Record(ctx, r); err != nil {
				return true, err
			}
		}
	case *pb.ReadResponse_Rejection:
		return false, emit.Reject(ctx, RejectionFromProto(m.Rejection))
	case *pb.ReadResponse_Checkpoint:
		return false, emit.Checkpoint(ctx, m.Checkpoint.GetStream(), m.Checkpoint.GetCursor())
	case *pb.ReadResponse_SnapshotComplete:
		return false, emit.SnapshotComplete(ctx, canonical.Entity(m.SnapshotComplete.GetEntity()))
	case *pb.ReadResponse_Log:
		c.logLine(ctx, m.Log)
	case *pb.ReadResponse_Error:
		return true, ErrorFromProto(m.Error)
	case *pb.ReadResponse_End:
		return true, nil
	default:
		// A newer plugin may send messages this host does not know: skip them.
		if c.Log != nil {
			c.Log.Debug("plugin sent an unknown Read message; ignored", "type", fmt.Sprintf("%T", m))
		}
	}
	return false, nil
}

func (c *Client) logLine(ctx context.Context, l *pb.LogLine) {
	if c.Log == nil {
		return
	}
	attrs := make([]slog.Attr, 0, len(l.GetAttributes()))
	for k, v := range l.GetAttributes() {
		attrs = append(attrs, slog.String(k, v))
	}
	c.Log.LogAttrs(ctx, LevelFromProto(l.GetLevel()), l.GetMessage(), attrs...)
}

// callError wraps a gRPC failure: the caller's cancellation, or a transport failure.
func (c *Client) callError(ctx context.Context, op string, err error) error {
	if ctxErr := context.Cause(ctx); ctxErr != nil {
		return fmt.Errorf("%s cancelled: %w", op, ctxErr)
	}
	return transport(op, err)
}

// stopOnCancel sends Stop to the plugin when ctx is cancelled before the returned func
// is called.
func (c *Client) stopOnCancel(ctx context.Context) func() {
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		_, _ = c.RPC.Stop(sctx, &pb.StopRequest{})
	})
	return func() { stop() }
}
