package sdktest

import (
	"context"
	"sync"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
)

// Emitter is a connectors.Emitter that keeps everything it receives, for assertions. It
// is safe for concurrent use; read its fields after Read returns.
type Emitter struct {
	mu          sync.Mutex
	Records     []connectors.Record
	Rejections  []canonical.Rejection
	Checkpoints []Checkpoint
	Snapshots   []canonical.Entity
	// Events lists every call in order: "record", "reject", "checkpoint", "snapshot".
	Events []string
}

// Checkpoint is one Checkpoint call.
type Checkpoint struct {
	Stream, Cursor string
}

// Record keeps r.
func (e *Emitter) Record(ctx context.Context, r connectors.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Records = append(e.Records, r)
	e.Events = append(e.Events, "record")
	return ctx.Err()
}

// Reject keeps r.
func (e *Emitter) Reject(ctx context.Context, r canonical.Rejection) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Rejections = append(e.Rejections, r)
	e.Events = append(e.Events, "reject")
	return ctx.Err()
}

// Checkpoint keeps the cursor.
func (e *Emitter) Checkpoint(ctx context.Context, stream, cursor string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Checkpoints = append(e.Checkpoints, Checkpoint{stream, cursor})
	e.Events = append(e.Events, "checkpoint")
	return ctx.Err()
}

// SnapshotComplete keeps the entity.
func (e *Emitter) SnapshotComplete(ctx context.Context, entity canonical.Entity) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Snapshots = append(e.Snapshots, entity)
	e.Events = append(e.Events, "snapshot")
	return ctx.Err()
}
