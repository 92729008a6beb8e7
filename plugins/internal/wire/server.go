package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	pb "github.com/revsync/revsync/plugins/proto/connector/v1"
)

// Batch limits of the Read stream: a batch is sent when it holds this many records or
// roughly this many bytes, and before any checkpoint, marker, rejection or log line.
const (
	maxBatchRecords = 512
	maxBatchBytes   = 4 << 20
)

// Server serves a Go connector as a pb.ConnectorServer: it is the plugin side of the
// protocol, used by sdk.Serve and by the in-process test helper.
type Server struct {
	pb.UnimplementedConnectorServer
	c          connectors.Connector
	sdkVersion string

	mu       sync.Mutex
	next     uint64
	inflight map[uint64]context.CancelFunc
}

// NewServer returns a server for c; sdkVersion is reported by GetSpec.
func NewServer(c connectors.Connector, sdkVersion string) *Server {
	return &Server{c: c, sdkVersion: sdkVersion, inflight: map[uint64]context.CancelFunc{}}
}

// track derives a context that Stop cancels; call the returned func when done.
func (s *Server) track(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	id := s.next
	s.next++
	s.inflight[id] = cancel
	s.mu.Unlock()
	return ctx, func() {
		s.mu.Lock()
		delete(s.inflight, id)
		s.mu.Unlock()
		cancel()
	}
}

// GetSpec describes the connector.
func (s *Server) GetSpec(context.Context, *pb.GetSpecRequest) (*pb.GetSpecResponse, error) {
	spec := s.c.Spec()
	return &pb.GetSpecResponse{
		Type:            spec.Type,
		Description:     spec.Description,
		ProtocolVersion: ProtocolVersion,
		Capabilities: []pb.Capability{pb.Capability_CAPABILITY_INCREMENTAL,
			pb.Capability_CAPABILITY_SNAPSHOT_COMPLETE, pb.Capability_CAPABILITY_LOG_STREAM,
			pb.Capability_CAPABILITY_COMPACT_BATCH},
		SdkVersion: s.sdkVersion,
	}, nil
}

// ValidateConfig decodes the settings strictly and runs their Validate method.
func (s *Server) ValidateConfig(_ context.Context, req *pb.ValidateConfigRequest) (*pb.ValidateConfigResponse, error) {
	_, problems, err := s.config(req.GetConfig())
	out := &pb.ValidateConfigResponse{Error: ErrorToProto(err)}
	for _, p := range problems {
		out.Problems = append(out.Problems, &pb.Problem{Key: p.Key, Message: p.Message})
	}
	return out, nil
}

// Check runs the connector's Check.
func (s *Server) Check(ctx context.Context, req *pb.CheckRequest) (*pb.CheckResponse, error) {
	ctx, done := s.track(ctx)
	defer done()
	cfg, err := s.validConfig(req.GetConfig())
	if err == nil {
		err = s.c.Check(ctx, cfg)
	}
	return &pb.CheckResponse{Error: ErrorToProto(err)}, nil
}

// Discover runs the connector's Discover.
func (s *Server) Discover(ctx context.Context, req *pb.DiscoverRequest) (*pb.DiscoverResponse, error) {
	ctx, done := s.track(ctx)
	defer done()
	cfg, err := s.validConfig(req.GetConfig())
	if err != nil {
		return &pb.DiscoverResponse{Error: ErrorToProto(err)}, nil
	}
	streams, err := s.c.Discover(ctx, cfg)
	return &pb.DiscoverResponse{Streams: StreamsToProto(streams), Error: ErrorToProto(err)}, nil
}

// Read runs the connector's Read and streams what it emits, in order, ending with End or
// Error.
func (s *Server) Read(req *pb.ReadRequest, stream pb.Connector_ReadServer) error {
	ctx, done := s.track(stream.Context())
	defer done()
	em := &streamEmitter{stream: stream}
	if slices.Contains(req.GetAccept(), pb.Capability_CAPABILITY_COMPACT_BATCH) {
		em.compact = &compactBatch{index: map[string]uint32{}}
	}
	cfg, err := s.validConfig(req.GetConfig())
	if err == nil {
		err = s.c.Read(withEmitter(ctx, em), cfg, connectors.State(req.GetState()), em)
	}
	return em.finish(err)
}

// Stop cancels every in-flight call.
func (s *Server) Stop(context.Context, *pb.StopRequest) (*pb.StopResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cancel := range s.inflight {
		cancel()
	}
	return &pb.StopResponse{}, nil
}

// validConfig decodes the config and turns problems into a config error.
func (s *Server) validConfig(pc *pb.Config) (connectors.Config, error) {
	cfg, problems, err := s.config(pc)
	if err != nil {
		return cfg, err
	}
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Key + ": " + p.Message
		}
		return cfg, connectors.ConfigError(fmt.Errorf("invalid config: %s", strings.Join(msgs, "; ")))
	}
	return cfg, nil
}

// config decodes the JSON settings into the connector's settings struct (strictly, by
// its yaml tags, as the host's config loader would) and validates them.
func (s *Server) config(pc *pb.Config) (connectors.Config, []connectors.Problem, error) {
	cfg := connectors.Config{Source: pc.GetSource(), BaseDir: pc.GetBaseDir()}
	m, err := decodeJSONObject(pc.GetSettingsJson())
	if err != nil {
		return cfg, nil, connectors.ConfigError(fmt.Errorf("config: %w", err))
	}
	spec := s.c.Spec()
	if spec.NewSettings == nil {
		cfg.Settings = m
		return cfg, nil, nil
	}
	settings := spec.NewSettings()
	if err := DecodeSettings(m, settings); err != nil {
		return cfg, nil, connectors.ConfigError(fmt.Errorf("config: %w", err))
	}
	cfg.Settings = settings
	if v, ok := settings.(connectors.Validator); ok {
		return cfg, v.Validate(), nil
	}
	return cfg, nil, nil
}

// DecodeSettings decodes a settings map into a typed settings struct by its yaml tags,
// rejecting unknown keys.
func DecodeSettings(m map[string]any, settings any) error {
	text, err := yaml.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding settings: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(settings); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// decodeJSONObject decodes a JSON object, keeping integers as int64 (an absent
// document is an empty object).
func decodeJSONObject(b []byte) (map[string]any, error) {
	m := map[string]any{}
	if len(bytes.TrimSpace(b)) == 0 {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("settings are not a JSON object: %w", err)
	}
	return normalizeNumbers(m).(map[string]any), nil
}

func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return string(x)
	}
	return v
}

// streamEmitter batches what the connector emits onto the Read stream. It is safe for
// concurrent use.
type streamEmitter struct {
	mu      sync.Mutex
	stream  pb.Connector_ReadServer
	batch   []*pb.Record
	compact *compactBatch // set when the host accepts CompactBatch; then batch stays empty
	n       int           // records pending in batch or compact
	bytes   int
	err     error
}

// compactBatch builds a pb.CompactBatch, interning entity and field names.
type compactBatch struct {
	names   []string
	index   map[string]uint32
	records []*pb.CompactRecord
}

func (c *compactBatch) intern(name string) uint32 {
	if i, ok := c.index[name]; ok {
		return i
	}
	i := uint32(len(c.names))
	c.names = append(c.names, name)
	c.index[name] = i
	return i
}

func (c *compactBatch) add(r connectors.Record, attrs map[string]*pb.Value) {
	cr := &pb.CompactRecord{
		Entity:      c.intern(string(r.Entity)),
		FieldNames:  make([]uint32, 0, len(r.Fields)),
		FieldValues: make([]string, 0, len(r.Fields)),
		Attributes:  attrs,
		Raw:         r.Raw,
		Origin:      r.Origin,
		Deleted:     r.Deleted,
	}
	for k, v := range r.Fields {
		cr.FieldNames = append(cr.FieldNames, c.intern(k))
		cr.FieldValues = append(cr.FieldValues, v)
	}
	c.records = append(c.records, cr)
}

// take returns the batch as a message and resets it (names are per batch).
func (c *compactBatch) take() *pb.CompactBatch {
	out := &pb.CompactBatch{Names: c.names, Records: c.records}
	c.names, c.records = nil, nil
	clear(c.index)
	return out
}

func (e *streamEmitter) Record(ctx context.Context, r connectors.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	attrs, err := attributesToProto(r)
	if err != nil {
		return err
	}
	size := recordSize(r)
	if size > MaxMessageSize-1024 {
		return fmt.Errorf("%s record %q is %d bytes, over the %d-byte plugin message limit", r.Entity, r.Fields["external_id"], size, MaxMessageSize)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return e.err
	}
	if e.bytes+size > maxBatchBytes {
		if err := e.flushLocked(); err != nil {
			return err
		}
	}
	if e.compact != nil {
		e.compact.add(r, attrs)
	} else {
		e.batch = append(e.batch, &pb.Record{Entity: string(r.Entity), Fields: r.Fields, Attributes: attrs,
			Raw: r.Raw, Origin: r.Origin, Deleted: r.Deleted})
	}
	e.n++
	e.bytes += size
	if e.n >= maxBatchRecords {
		return e.flushLocked()
	}
	return nil
}

func (e *streamEmitter) Reject(ctx context.Context, r canonical.Rejection) error {
	return e.send(ctx, &pb.ReadResponse{Message: &pb.ReadResponse_Rejection{Rejection: RejectionToProto(r)}})
}

func (e *streamEmitter) Checkpoint(ctx context.Context, stream, cursor string) error {
	return e.send(ctx, &pb.ReadResponse{Message: &pb.ReadResponse_Checkpoint{Checkpoint: &pb.Checkpoint{Stream: stream, Cursor: cursor}}})
}

func (e *streamEmitter) SnapshotComplete(ctx context.Context, entity canonical.Entity) error {
	return e.send(ctx, &pb.ReadResponse{Message: &pb.ReadResponse_SnapshotComplete{SnapshotComplete: &pb.SnapshotComplete{Entity: string(entity)}}})
}

// log sends a log line in stream order.
func (e *streamEmitter) log(ctx context.Context, l *pb.LogLine) error {
	return e.send(ctx, &pb.ReadResponse{Message: &pb.ReadResponse_Log{Log: l}})
}

// send flushes pending records, then sends msg.
func (e *streamEmitter) send(ctx context.Context, msg *pb.ReadResponse) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.flushLocked(); err != nil {
		return err
	}
	return e.sendLocked(msg)
}

func (e *streamEmitter) flushLocked() error {
	if e.err != nil {
		return e.err
	}
	if e.n == 0 {
		return nil
	}
	var msg *pb.ReadResponse
	if e.compact != nil {
		msg = &pb.ReadResponse{Message: &pb.ReadResponse_CompactRecords{CompactRecords: e.compact.take()}}
	} else {
		msg = &pb.ReadResponse{Message: &pb.ReadResponse_Records{Records: &pb.RecordBatch{Records: e.batch}}}
	}
	e.batch, e.n, e.bytes = nil, 0, 0
	return e.sendLocked(msg)
}

func (e *streamEmitter) sendLocked(msg *pb.ReadResponse) error {
	if e.err != nil {
		return e.err
	}
	if err := e.stream.Send(msg); err != nil {
		e.err = fmt.Errorf("sending to revsync: %w", err)
	}
	return e.err
}

// finish flushes and ends the stream with End, or Error when readErr is set.
func (e *streamEmitter) finish(readErr error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if readErr != nil {
		// Records emitted before the error are still delivered: they are valid.
		if err := e.flushLocked(); err != nil {
			return err
		}
		return e.sendLocked(&pb.ReadResponse{Message: &pb.ReadResponse_Error{Error: ErrorToProto(readErr)}})
	}
	if err := e.flushLocked(); err != nil {
		return err
	}
	return e.sendLocked(&pb.ReadResponse{Message: &pb.ReadResponse_End{End: &pb.End{}}})
}

// recordSize estimates a record's encoded size cheaply.
func recordSize(r connectors.Record) int {
	n := 32 + len(r.Entity) + len(r.Raw) + len(r.Origin)
	for k, v := range r.Fields {
		n += len(k) + len(v) + 4
	}
	n += len(r.Attributes) * 32
	for k, v := range r.Attributes {
		n += len(k)
		if s, ok := v.(string); ok {
			n += len(s)
		}
	}
	return n
}

type emitterKey struct{}

func withEmitter(ctx context.Context, e *streamEmitter) context.Context {
	return context.WithValue(ctx, emitterKey{}, e)
}

// StreamLogHandler returns a slog handler that sends log records over the Read stream of
// ctx, or nil when ctx is not inside a served Read.
func StreamLogHandler(ctx context.Context, level slog.Leveler) slog.Handler {
	e, _ := ctx.Value(emitterKey{}).(*streamEmitter)
	if e == nil {
		return nil
	}
	return &logHandler{e: e, level: level}
}

type logHandler struct {
	e      *streamEmitter
	level  slog.Leveler
	attrs  []slog.Attr
	prefix string
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool {
	return h.level == nil || l >= h.level.Level()
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	line := &pb.LogLine{Message: r.Message, Level: levelToProto(r.Level), Attributes: map[string]string{}}
	for _, a := range h.attrs {
		line.Attributes[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		line.Attributes[h.prefix+a.Key] = a.Value.String()
		return true
	})
	return h.e.log(context.WithoutCancel(ctx), line)
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), prefixed(h.prefix, as)...)
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

func prefixed(prefix string, as []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = slog.Attr{Key: prefix + a.Key, Value: a.Value}
	}
	return out
}

func levelToProto(l slog.Level) pb.LogLine_Level {
	switch {
	case l >= slog.LevelError:
		return pb.LogLine_LEVEL_ERROR
	case l >= slog.LevelWarn:
		return pb.LogLine_LEVEL_WARN
	case l >= slog.LevelInfo:
		return pb.LogLine_LEVEL_INFO
	}
	return pb.LogLine_LEVEL_DEBUG
}

// LevelFromProto converts a log level.
func LevelFromProto(l pb.LogLine_Level) slog.Level {
	switch l {
	case pb.LogLine_LEVEL_ERROR:
		return slog.LevelError
	case pb.LogLine_LEVEL_WARN:
		return slog.LevelWarn
	case pb.LogLine_LEVEL_DEBUG:
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
