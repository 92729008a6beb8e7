// Package wire holds what the plugin host and the SDK share: the go-plugin handshake, the
// gRPC plugin glue and the conversions between the Go connector contract (connectors,
// canonical) and the connector.v1 messages. It must stay free of policy: discovery,
// checksums and process management belong to plugins/host, serving to plugins/sdk.
package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/shopspring/decimal"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	pb "github.com/revsync/revsync/plugins/proto/connector/v1"
)

// ProtocolVersion is the connector.v1 major version, negotiated in the go-plugin handshake.
const ProtocolVersion = 1

// PluginName is the name the connector is dispensed under.
const PluginName = "connector"

// MaxMessageSize bounds one gRPC message in both directions (16 MiB).
const MaxMessageSize = 16 << 20

// Handshake is the go-plugin handshake both sides use. The magic cookie only stops a
// plugin binary from being run by hand by mistake; it is not a security measure.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "REVSYNC_CONNECTOR_PLUGIN",
	MagicCookieValue: "d0a9c7e4-connector-v1",
}

// GRPCPlugin is the go-plugin glue: Impl is set on the plugin side, the client side
// dispenses a pb.ConnectorClient.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl pb.ConnectorServer
}

// GRPCServer registers the connector service.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("connector plugin: no server implementation")
	}
	pb.RegisterConnectorServer(s, p.Impl)
	return nil
}

// GRPCClient returns a pb.ConnectorClient on the plugin's connection.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pb.NewConnectorClient(c), nil
}

// PluginSets returns the versioned plugin sets of the handshake for p.
func PluginSets(p *GRPCPlugin) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{ProtocolVersion: {PluginName: p}}
}

// ErrorToProto converts a connector error (nil gives nil).
func ErrorToProto(err error) *pb.Error {
	if err == nil {
		return nil
	}
	kind := pb.ErrorKind_ERROR_KIND_SYSTEM
	switch connectors.KindOf(err) {
	case connectors.KindConfig:
		kind = pb.ErrorKind_ERROR_KIND_CONFIG
	case connectors.KindTransient:
		kind = pb.ErrorKind_ERROR_KIND_TRANSIENT
	}
	return &pb.Error{Kind: kind, Message: err.Error()}
}

// ErrorFromProto converts an error message back to a typed connectors error (nil gives nil).
func ErrorFromProto(e *pb.Error) error {
	if e == nil {
		return nil
	}
	err := errors.New(e.GetMessage())
	switch e.GetKind() {
	case pb.ErrorKind_ERROR_KIND_CONFIG:
		return connectors.ConfigError(err)
	case pb.ErrorKind_ERROR_KIND_TRANSIENT:
		return connectors.TransientError(err)
	}
	return &connectors.Error{Kind: connectors.KindSystem, Err: err}
}

// RecordToProto converts a record; it fails only on an attribute that is not a scalar.
func RecordToProto(r connectors.Record) (*pb.Record, error) {
	attrs, err := attributesToProto(r)
	if err != nil {
		return nil, err
	}
	return &pb.Record{Entity: string(r.Entity), Fields: r.Fields, Attributes: attrs,
		Raw: r.Raw, Origin: r.Origin, Deleted: r.Deleted}, nil
}

func attributesToProto(r connectors.Record) (map[string]*pb.Value, error) {
	if len(r.Attributes) == 0 {
		return nil, nil
	}
	out := make(map[string]*pb.Value, len(r.Attributes))
	for k, v := range r.Attributes {
		pv, err := ValueToProto(v)
		if err != nil {
			return nil, fmt.Errorf("%s record %q: attribute %q: %w", r.Entity, r.Fields["external_id"], k, err)
		}
		out[k] = pv
	}
	return out, nil
}

func attributesFromProto(entity canonical.Entity, fields map[string]string, in map[string]*pb.Value) (canonical.Attributes, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(canonical.Attributes, len(in))
	for k, v := range in {
		gv, err := ValueFromProto(v)
		if err != nil {
			return nil, fmt.Errorf("%s record %q: attribute %q: %w", entity, fields["external_id"], k, err)
		}
		out[k] = gv
	}
	return out, nil
}

// CompactRecordsFromProto converts a compact batch back to records.
func CompactRecordsFromProto(b *pb.CompactBatch) ([]connectors.Record, error) {
	names := b.GetNames()
	name := func(i uint32) (string, error) {
		if int(i) >= len(names) {
			return "", fmt.Errorf("name index %d out of range (%d names)", i, len(names))
		}
		return names[i], nil
	}
	out := make([]connectors.Record, len(b.GetRecords()))
	for i, cr := range b.GetRecords() {
		entity, err := name(cr.GetEntity())
		if err != nil {
			return nil, err
		}
		keys, values := cr.GetFieldNames(), cr.GetFieldValues()
		if len(keys) != len(values) {
			return nil, fmt.Errorf("%s record %d of the batch: %d field names but %d values", entity, i, len(keys), len(values))
		}
		fields := make(map[string]string, len(keys))
		for j, k := range keys {
			key, err := name(k)
			if err != nil {
				return nil, err
			}
			fields[key] = values[j]
		}
		attrs, err := attributesFromProto(canonical.Entity(entity), fields, cr.GetAttributes())
		if err != nil {
			return nil, err
		}
		out[i] = connectors.Record{Entity: canonical.Entity(entity), Fields: fields, Attributes: attrs,
			Raw: cr.GetRaw(), Origin: cr.GetOrigin(), Deleted: cr.GetDeleted()}
	}
	return out, nil
}

// RecordFromProto converts a record message back.
func RecordFromProto(r *pb.Record) (connectors.Record, error) {
	out := connectors.Record{
		Entity:  canonical.Entity(r.GetEntity()),
		Fields:  r.GetFields(),
		Raw:     r.GetRaw(),
		Origin:  r.GetOrigin(),
		Deleted: r.GetDeleted(),
	}
	if out.Fields == nil {
		out.Fields = map[string]string{}
	}
	attrs, err := attributesFromProto(out.Entity, out.Fields, r.GetAttributes())
	if err != nil {
		return connectors.Record{}, err
	}
	out.Attributes = attrs
	return out, nil
}

// ValueToProto converts one attribute value: string, bool, any integer, float32/64,
// decimal.Decimal, json.Number (as a decimal), time.Time or nil.
func ValueToProto(v any) (*pb.Value, error) {
	switch x := v.(type) {
	case nil:
		return &pb.Value{Kind: &pb.Value_NullValue{NullValue: true}}, nil
	case string:
		return &pb.Value{Kind: &pb.Value_StringValue{StringValue: x}}, nil
	case bool:
		return &pb.Value{Kind: &pb.Value_BoolValue{BoolValue: x}}, nil
	case int:
		return intValue(int64(x)), nil
	case int8:
		return intValue(int64(x)), nil
	case int16:
		return intValue(int64(x)), nil
	case int32:
		return intValue(int64(x)), nil
	case int64:
		return intValue(x), nil
	case uint8:
		return intValue(int64(x)), nil
	case uint16:
		return intValue(int64(x)), nil
	case uint32:
		return intValue(int64(x)), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("%d does not fit in int64", x)
		}
		return intValue(int64(x)), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("%d does not fit in int64", x)
		}
		return intValue(int64(x)), nil
	case float32:
		return &pb.Value{Kind: &pb.Value_DoubleValue{DoubleValue: float64(x)}}, nil
	case float64:
		return &pb.Value{Kind: &pb.Value_DoubleValue{DoubleValue: x}}, nil
	case decimal.Decimal:
		return &pb.Value{Kind: &pb.Value_DecimalValue{DecimalValue: x.String()}}, nil
	case json.Number:
		if _, err := decimal.NewFromString(string(x)); err != nil {
			return nil, fmt.Errorf("%q is not a number", string(x))
		}
		return &pb.Value{Kind: &pb.Value_DecimalValue{DecimalValue: string(x)}}, nil
	case time.Time:
		return &pb.Value{Kind: &pb.Value_TimestampValue{TimestampValue: timestamppb.New(x)}}, nil
	}
	return nil, fmt.Errorf("a %T is not a scalar attribute (use string, number, bool or time.Time)", v)
}

func intValue(i int64) *pb.Value { return &pb.Value{Kind: &pb.Value_IntValue{IntValue: i}} }

// ValueFromProto converts an attribute value back: string, int64, float64, bool,
// time.Time (UTC), decimal.Decimal or nil.
func ValueFromProto(v *pb.Value) (any, error) {
	switch k := v.GetKind().(type) {
	case *pb.Value_StringValue:
		return k.StringValue, nil
	case *pb.Value_IntValue:
		return k.IntValue, nil
	case *pb.Value_DoubleValue:
		return k.DoubleValue, nil
	case *pb.Value_BoolValue:
		return k.BoolValue, nil
	case *pb.Value_TimestampValue:
		return k.TimestampValue.AsTime(), nil
	case *pb.Value_DecimalValue:
		d, err := decimal.NewFromString(k.DecimalValue)
		if err != nil {
			return nil, fmt.Errorf("%q is not a decimal", k.DecimalValue)
		}
		return d, nil
	case *pb.Value_NullValue, nil:
		return nil, nil
	}
	return nil, fmt.Errorf("unknown value kind %T (a newer plugin protocol?)", v.GetKind())
}

// RejectionToProto converts a rejection.
func RejectionToProto(r canonical.Rejection) *pb.Rejection {
	return &pb.Rejection{Source: r.Source, Entity: string(r.Entity), ExternalId: r.ExternalID, Reason: r.Reason, Raw: r.Raw}
}

// RejectionFromProto converts a rejection message back.
func RejectionFromProto(r *pb.Rejection) canonical.Rejection {
	return canonical.Rejection{Source: r.GetSource(), Entity: canonical.Entity(r.GetEntity()), ExternalID: r.GetExternalId(), Reason: r.GetReason(), Raw: r.GetRaw()}
}

// StreamsToProto converts discovered streams.
func StreamsToProto(ss []connectors.Stream) []*pb.Stream {
	out := make([]*pb.Stream, len(ss))
	for i, s := range ss {
		out[i] = &pb.Stream{Name: s.Name, Entity: string(s.Entity), Incremental: s.Incremental}
	}
	return out
}

// StreamsFromProto converts stream messages back.
func StreamsFromProto(ss []*pb.Stream) []connectors.Stream {
	out := make([]connectors.Stream, len(ss))
	for i, s := range ss {
		out[i] = connectors.Stream{Name: s.GetName(), Entity: canonical.Entity(s.GetEntity()), Incremental: s.GetIncremental()}
	}
	return out
}

// windowSize is the HTTP/2 flow-control window of a stream and of the connection: large
// enough that a plugin never waits for the host to acknowledge a batch on a local socket.
const windowSize = 8 << 20

// ServerOptions are the gRPC server options of a plugin (message size limits, windows).
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.InitialWindowSize(windowSize), grpc.InitialConnWindowSize(windowSize)}
}

// DialOptions are the gRPC dial options of the host (message size limits, windows).
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize)),
		grpc.WithInitialWindowSize(windowSize), grpc.WithInitialConnWindowSize(windowSize)}
}
