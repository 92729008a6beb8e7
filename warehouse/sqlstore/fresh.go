package sqlstore

import (
	"context"
	"fmt"
	"hash/maphash"

	"github.com/revsync/revsync/warehouse"
)

// FreshInserter is an optional Dialect capability for bulk loads into canonical tables:
// InsertFresh appends rows (neutral values in canonical table t's column order) straight
// into the live table t, like Load but without staging or merge. Tx calls it only with
// rows whose keys it knows are not stored: their source had no row in t when the
// transaction first wrote to t, nothing was deleted from t in the transaction before
// that check, and the transaction has not written the key since. Every other row is
// merged through staging as usual. It runs inside the session's transaction and must
// leave it usable only if it succeeds (an error fails the transaction).
type FreshInserter interface {
	InsertFresh(ctx context.Context, s Session, t warehouse.Table, rows [][]any) error
}

// freshKey names one (table, source) whose writes a Tx tracks.
type freshKey struct{ table, source string }

// written is what a Tx knows about one (table, source) it writes to with FreshInserter.
type written struct {
	// fresh is true when the source had no stored row in the table when the
	// transaction first wrote to it (and nothing had been deleted from the table).
	fresh bool
	// keys holds a hash of every external_id of the source the transaction wrote to
	// the table; a collision only sends a new row through the merge, never the reverse.
	keys map[uint64]struct{}
}

// splitFresh divides rows (deduplicated, of table tbl, source at column 0 and
// external_id at column 1) into those that can be inserted directly and those that must
// be merged, and records their keys as written. It checks each source's freshness once
// per transaction.
func (t *Tx) splitFresh(ctx context.Context, tbl warehouse.Table, rows [][]any) (direct, merged [][]any, err error) {
	for _, row := range rows {
		source, _ := row[0].(string)
		id, _ := row[1].(string)
		w, err := t.writtenOf(ctx, tbl, source)
		if err != nil {
			return nil, nil, err
		}
		if !w.fresh {
			merged = append(merged, row)
			continue
		}
		h := maphash.String(t.seed, id)
		if _, seen := w.keys[h]; seen {
			merged = append(merged, row)
			continue
		}
		w.keys[h] = struct{}{}
		direct = append(direct, row)
	}
	return direct, merged, nil
}

// writtenOf returns the tracking state of (tbl, source), checking on first use whether
// the source has any stored row in tbl.
func (t *Tx) writtenOf(ctx context.Context, tbl warehouse.Table, source string) (*written, error) {
	k := freshKey{tbl.Name, source}
	if w := t.written[k]; w != nil {
		return w, nil
	}
	w := &written{}
	if !t.deleted[tbl.Name] {
		d := t.s.d
		q := fmt.Sprintf("SELECT 1 FROM %s WHERE %s = %s LIMIT 1", d.Table(tbl.Name), d.Quote("source"), d.Placeholder(1))
		rows, err := t.sess.Tx.QueryContext(ctx, q, source)
		if err != nil {
			return nil, fmt.Errorf("%s: look for stored %s of source %q: %w", d.Name(), tbl.Name, source, err)
		}
		exists := rows.Next()
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: look for stored %s of source %q: %w", d.Name(), tbl.Name, source, err)
		}
		w.fresh = !exists
	}
	if w.fresh {
		w.keys = map[uint64]struct{}{}
	}
	if t.written == nil {
		t.written = map[freshKey]*written{}
	}
	t.written[k] = w
	return w, nil
}

// deletedFrom notes that rows of table may have been deleted in this transaction: a
// source first written afterwards is not treated as fresh (a deleted key may still be
// in the database's index until the transaction ends).
func (t *Tx) deletedFrom(table string) {
	if t.deleted == nil {
		t.deleted = map[string]bool{}
	}
	t.deleted[table] = true
}
