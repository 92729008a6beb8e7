package runner

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/warehouse"
)

// batchEmitter receives one source's records, normalises and validates them, and writes
// them into the source's transaction in batches. It implements connectors.Emitter.
type batchEmitter struct {
	tx        warehouse.Tx
	writer    *txWriter
	source    string
	runID     string
	batchSize int
	enrich    func(canonical.Record) error

	upserts    []canonical.Record
	rejections []canonical.Rejection
	deletes    map[canonical.Entity][]string
	snapshots  []canonical.Entity
	counts     SourceSummary
}

func (e *batchEmitter) Record(ctx context.Context, r connectors.Record) error {
	e.counts.Read++
	if r.Deleted {
		if e.deletes == nil {
			e.deletes = map[canonical.Entity][]string{}
		}
		e.deletes[r.Entity] = append(e.deletes[r.Entity], r.Fields["external_id"])
		return e.maybeFlush(ctx)
	}
	rec, err := canonical.Parse(r.Entity, e.source, r.Fields, r.Attributes)
	if err == nil && e.enrich != nil {
		err = e.enrich(rec)
	}
	if err != nil {
		reason := err.Error()
		if r.Origin != "" {
			reason = r.Origin + ": " + reason
		}
		e.rejections = append(e.rejections, canonical.Rejection{
			Source: e.source, Entity: r.Entity, ExternalID: r.Fields["external_id"], Reason: reason, Raw: rawOf(r),
		})
		return e.maybeFlush(ctx)
	}
	e.upserts = append(e.upserts, rec)
	return e.maybeFlush(ctx)
}

func rawOf(r connectors.Record) string {
	if r.Raw != "" {
		return r.Raw
	}
	b, err := json.Marshal(map[string]any{"fields": r.Fields, "attributes": r.Attributes})
	if err != nil {
		return fmt.Sprint(r.Fields)
	}
	return string(b)
}

func (e *batchEmitter) Reject(ctx context.Context, r canonical.Rejection) error {
	e.counts.Read++
	r.Source = e.source
	e.rejections = append(e.rejections, r)
	return e.maybeFlush(ctx)
}

// Checkpoint saves the cursor in the source's transaction after every record emitted
// before it, so state and data commit (or roll back) together.
func (e *batchEmitter) Checkpoint(ctx context.Context, stream, cursor string) error {
	if err := e.flush(ctx); err != nil {
		return err
	}
	return e.writer.submit(ctx, func(ctx context.Context) error {
		return e.tx.SaveState(ctx, e.source, stream, cursor)
	})
}

func (e *batchEmitter) SnapshotComplete(_ context.Context, entity canonical.Entity) error {
	e.snapshots = append(e.snapshots, entity)
	return nil
}

func (e *batchEmitter) maybeFlush(ctx context.Context) error {
	if len(e.upserts)+len(e.rejections) < e.batchSize {
		return ctx.Err()
	}
	return e.flush(ctx)
}

// flush hands the pending batch to the writer goroutine; the emitter starts new slices
// because the writer still uses the old ones.
func (e *batchEmitter) flush(ctx context.Context) error {
	if upserts := e.upserts; len(upserts) > 0 {
		e.upserts = make([]canonical.Record, 0, e.batchSize)
		err := e.writer.submit(ctx, func(ctx context.Context) error {
			if err := e.tx.Upsert(ctx, e.runID, upserts); err != nil {
				return err
			}
			e.counts.Written += int64(len(upserts))
			return nil
		})
		if err != nil {
			return err
		}
	}
	if rejections := e.rejections; len(rejections) > 0 {
		e.rejections = nil
		err := e.writer.submit(ctx, func(ctx context.Context) error {
			if err := e.tx.Reject(ctx, e.runID, rejections); err != nil {
				return err
			}
			if err := e.keepRejected(ctx, rejections); err != nil {
				return err
			}
			e.counts.Rejected += int64(len(rejections))
			return nil
		})
		if err != nil {
			return err
		}
	}
	for entity, ids := range e.deletes {
		err := e.writer.submit(ctx, func(ctx context.Context) error {
			if err := e.tx.Delete(ctx, e.source, entity, ids); err != nil {
				return err
			}
			e.counts.Deleted += int64(len(ids))
			return nil
		})
		if err != nil {
			return err
		}
	}
	e.deletes = nil
	return nil
}

// keepRejected keeps the stored version of every rejected record whose key is known, so
// that a snapshot's Prune does not delete a record only because its new row was bad.
func (e *batchEmitter) keepRejected(ctx context.Context, rejections []canonical.Rejection) error {
	ids := map[canonical.Entity][]string{}
	for _, r := range rejections {
		if r.ExternalID != "" {
			ids[r.Entity] = append(ids[r.Entity], r.ExternalID)
		}
	}
	for entity, list := range ids {
		if err := e.tx.Keep(ctx, e.source, entity, list, e.runID); err != nil {
			return err
		}
	}
	return nil
}

// finish writes what is left and waits for the writer, applies the snapshot rule of
// SPEC §2, and rejects records whose references do not resolve now that the whole
// source is loaded (SPEC §1).
func (e *batchEmitter) finish(ctx context.Context) error {
	if err := e.flush(ctx); err != nil {
		return err
	}
	if err := e.writer.wait(); err != nil {
		return err
	}
	for _, entity := range e.snapshots {
		n, err := e.tx.Prune(ctx, e.source, entity, e.runID)
		if err != nil {
			return err
		}
		e.counts.Deleted += n
	}
	unresolved, err := e.tx.Unresolved(ctx, e.source, e.runID)
	if err != nil {
		return err
	}
	e.counts.Rejected += int64(len(unresolved))
	e.counts.Written -= int64(len(unresolved))
	return nil
}
