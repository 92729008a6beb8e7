package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
)

// deleteChunk is how many keys one DELETE … IN (…) statement binds.
const deleteChunk = 500

// Tx is a write transaction on one pinned connection; it implements warehouse.Tx.
type Tx struct {
	s      *Store
	sess   Session
	staged map[string]bool // staging tables created in this transaction
	done   bool
	// FreshInserter bookkeeping (see fresh.go).
	seed    maphash.Seed
	written map[freshKey]*written
	deleted map[string]bool // tables deleted from in this transaction
}

var _ warehouse.Tx = (*Tx)(nil)

// Session returns the transaction's connection and database/sql transaction, for
// dialect-specific extensions.
func (t *Tx) Session() Session { return t.sess }

func (t *Tx) check() error {
	if t.done {
		return fmt.Errorf("%s: transaction already committed or rolled back", t.s.d.Name())
	}
	return nil
}

// Upsert writes records on (source, external_id): per entity it loads the deduplicated
// rows (last one wins) into a staging table with Dialect.Load and merges them with
// Dialect.Upsert, marking them with runID and the current time.
func (t *Tx) Upsert(ctx context.Context, runID string, records []canonical.Record) error {
	if err := t.check(); err != nil {
		return err
	}
	type group struct {
		index map[canonical.Key]int
		recs  []canonical.Record
	}
	groups := map[canonical.Entity]*group{}
	for i, rec := range records {
		if rec == nil {
			return fmt.Errorf("upsert: record %d is nil", i)
		}
		k := rec.Key()
		if k.Source == "" || k.ExternalID == "" {
			return fmt.Errorf("upsert: %s record %d has an empty source or external_id", rec.Entity(), i)
		}
		g := groups[rec.Entity()]
		if g == nil {
			g = &group{index: map[canonical.Key]int{}}
			groups[rec.Entity()] = g
		}
		if j, ok := g.index[k]; ok {
			g.recs[j] = rec
			continue
		}
		g.index[k] = len(g.recs)
		g.recs = append(g.recs, rec)
	}
	now := t.s.now()
	for _, e := range canonical.Entities {
		g := groups[e]
		if g == nil {
			continue
		}
		rows, err := buildRows(g.recs, runID, now)
		if err != nil {
			return fmt.Errorf("upsert: %w", err)
		}
		if err := t.merge(ctx, warehouse.CanonicalTable(e), rows); err != nil {
			return err
		}
	}
	return nil
}

// merge loads rows into t's staging table and upserts them into t.
func (t *Tx) merge(ctx context.Context, tbl warehouse.Table, rows [][]any) error {
	d := t.s.d
	if fi, ok := d.(FreshInserter); ok && len(tbl.Key) > 0 {
		direct, merged, err := t.splitFresh(ctx, tbl, rows)
		if err != nil {
			return err
		}
		if len(direct) > 0 {
			if err := fi.InsertFresh(ctx, t.sess, tbl, direct); err != nil {
				return fmt.Errorf("%s: insert %d new %s rows: %w", d.Name(), len(direct), tbl.Name, err)
			}
		}
		if len(merged) == 0 {
			return nil
		}
		rows = merged
	}
	if di, ok := d.(DirectInserter); ok {
		done, err := di.TryInsert(ctx, t.sess, tbl, rows)
		if err != nil {
			return fmt.Errorf("%s: insert %d %s rows: %w", d.Name(), len(rows), tbl.Name, err)
		}
		if done {
			return nil
		}
	}
	staging := "revsync_stage_" + tbl.Name
	if err := t.stage(ctx, staging, tbl); err != nil {
		return err
	}
	if err := d.Load(ctx, t.sess, Target{Name: staging, Staging: true}, tbl, rows); err != nil {
		return fmt.Errorf("%s: load %d %s rows: %w", d.Name(), len(rows), tbl.Name, err)
	}
	q := d.Upsert(tbl, fmt.Sprintf("SELECT %s FROM %s", Columns(d, tbl, ""), d.Quote(staging)))
	if _, err := t.sess.Tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("%s: upsert %d %s rows: %w", d.Name(), len(rows), tbl.Name, err)
	}
	return nil
}

// stage makes an empty staging table: created on first use, emptied afterwards.
func (t *Tx) stage(ctx context.Context, name string, tbl warehouse.Table) error {
	d := t.s.d
	if t.staged[name] {
		if err := execAll(ctx, t.sess.Tx, "DELETE FROM "+d.Quote(name)); err != nil {
			return fmt.Errorf("%s: empty staging table: %w", d.Name(), err)
		}
		return nil
	}
	if err := execAll(ctx, t.sess.Tx, d.CreateStaging(name, tbl)...); err != nil {
		return fmt.Errorf("%s: create staging table: %w", d.Name(), err)
	}
	t.staged[name] = true
	return nil
}

// Delete removes records of source and entity by external_id.
func (t *Tx) Delete(ctx context.Context, source string, entity canonical.Entity, externalIDs []string) error {
	if err := t.check(); err != nil {
		return err
	}
	if canonical.SchemaOf(entity) == nil {
		return fmt.Errorf("delete: %q is not an entity", entity)
	}
	d := t.s.d
	t.deletedFrom(string(entity))
	for start := 0; start < len(externalIDs); start += deleteChunk {
		ids := externalIDs[start:min(start+deleteChunk, len(externalIDs))]
		q := fmt.Sprintf("DELETE FROM %s WHERE %s = %s AND %s IN (%s)", d.Table(string(entity)),
			d.Quote("source"), d.Placeholder(1), d.Quote("external_id"), t.s.placeholders(2, len(ids)))
		args := make([]any, 0, len(ids)+1)
		args = append(args, source)
		for _, id := range ids {
			args = append(args, id)
		}
		if _, err := t.sess.Tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: delete %d %s of source %q: %w", d.Name(), len(ids), entity, source, err)
		}
	}
	return nil
}

// Keep sets run_id on stored records so that Prune keeps them (warehouse.Tx).
func (t *Tx) Keep(ctx context.Context, source string, entity canonical.Entity, externalIDs []string, runID string) error {
	if err := t.check(); err != nil {
		return err
	}
	if canonical.SchemaOf(entity) == nil {
		return fmt.Errorf("keep: %q is not an entity", entity)
	}
	d := t.s.d
	for start := 0; start < len(externalIDs); start += deleteChunk {
		ids := externalIDs[start:min(start+deleteChunk, len(externalIDs))]
		q := fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s = %s AND %s IN (%s)", d.Table(string(entity)),
			d.Quote("run_id"), d.Placeholder(1), d.Quote("source"), d.Placeholder(2), d.Quote("external_id"), t.s.placeholders(3, len(ids)))
		args := make([]any, 0, len(ids)+2)
		args = append(args, runID, source)
		for _, id := range ids {
			args = append(args, id)
		}
		if _, err := t.sess.Tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: keep %d %s of source %q: %w", d.Name(), len(ids), entity, source, err)
		}
	}
	return nil
}

// Reject stores rejections in rejected_records under runID.
func (t *Tx) Reject(ctx context.Context, runID string, rejections []canonical.Rejection) error {
	if err := t.check(); err != nil {
		return err
	}
	if len(rejections) == 0 {
		return nil
	}
	now := t.s.now()
	rows := make([][]any, len(rejections))
	for i, r := range rejections {
		rows[i] = []any{runID, r.Source, string(r.Entity), nullIfEmpty(r.ExternalID), r.Reason, nullIfEmpty(r.Raw), now}
	}
	d := t.s.d
	if err := d.Load(ctx, t.sess, Target{Name: warehouse.RejectedRecords.Name}, warehouse.RejectedRecords, rows); err != nil {
		return fmt.Errorf("%s: store %d rejected records: %w", d.Name(), len(rows), err)
	}
	return nil
}

// SaveState stores a stream's cursor for a source in this transaction.
func (t *Tx) SaveState(ctx context.Context, source, stream, cursor string) error {
	if err := t.check(); err != nil {
		return err
	}
	if err := t.s.upsertRow(ctx, t.sess.Tx, warehouse.SyncState, []any{source, stream, cursor, t.s.now()}); err != nil {
		return fmt.Errorf("save state of %s/%s: %w", source, stream, err)
	}
	return nil
}

// Prune deletes the records of source and entity whose run_id is not runID.
func (t *Tx) Prune(ctx context.Context, source string, entity canonical.Entity, runID string) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	if canonical.SchemaOf(entity) == nil {
		return 0, fmt.Errorf("prune: %q is not an entity", entity)
	}
	d := t.s.d
	t.deletedFrom(string(entity))
	q := fmt.Sprintf("DELETE FROM %s WHERE %s = %s AND %s <> %s", d.Table(string(entity)),
		d.Quote("source"), d.Placeholder(1), d.Quote("run_id"), d.Placeholder(2))
	res, err := t.sess.Tx.ExecContext(ctx, q, source, runID)
	if err != nil {
		return 0, fmt.Errorf("%s: prune %s of source %q: %w", d.Name(), entity, source, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: prune %s of source %q: %w", d.Name(), entity, source, err)
	}
	return n, nil
}

// Unresolved rejects and deletes, until none is left, the records of source with a
// reference (a schema field with Ref) to no record of the same source. Entities are
// visited referenced-first, so deleting an invoice also rejects its lines.
func (t *Tx) Unresolved(ctx context.Context, source, runID string) ([]canonical.Rejection, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	var all []canonical.Rejection
	for {
		found := 0
		for _, e := range canonical.Entities {
			rej, err := t.unresolvedOf(ctx, source, e)
			if err != nil {
				return all, err
			}
			if len(rej) == 0 {
				continue
			}
			if err := t.Reject(ctx, runID, rej); err != nil {
				return all, err
			}
			found += len(rej)
			all = append(all, rej...)
		}
		if found == 0 {
			return all, nil
		}
	}
}

// unresolvedOf finds, rejects and deletes entity's rows of source with a dangling
// reference.
func (t *Tx) unresolvedOf(ctx context.Context, source string, e canonical.Entity) ([]canonical.Rejection, error) {
	d := t.s.d
	tbl := warehouse.CanonicalTable(e)
	self := d.Table(tbl.Name)
	var refs []canonical.Field
	var conds []string
	for _, f := range canonical.SchemaOf(e).Fields {
		if f.Ref == "" {
			continue
		}
		col := self + "." + d.Quote(f.Name)
		conds = append(conds, fmt.Sprintf("(%s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.%s = %s.%s AND p.%s = %s))",
			col, d.Table(string(f.Ref)), d.Quote("source"), self, d.Quote("source"), d.Quote("external_id"), col))
		refs = append(refs, f)
	}
	if len(refs) == 0 {
		return nil, nil
	}
	where := fmt.Sprintf("%s.%s = %s AND (%s)", self, d.Quote("source"), d.Placeholder(1), strings.Join(conds, " OR "))
	cols := recordColumns(tbl)
	flags := make([]string, len(conds))
	for i, c := range conds {
		flags[i] = "CASE WHEN " + c + " THEN 1 ELSE 0 END"
	}
	q := fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s ORDER BY %s.%s", t.s.selectList(cols, self+"."), strings.Join(flags, ", "),
		self, where, self, d.Quote("external_id"))
	rows, err := t.sess.Tx.QueryContext(ctx, q, source)
	if err != nil {
		return nil, fmt.Errorf("%s: find unresolved references of %s: %w", d.Name(), e, err)
	}
	rej, err := t.readUnresolved(rows, e, source, cols, refs)
	if err != nil {
		return nil, fmt.Errorf("%s: find unresolved references of %s: %w", d.Name(), e, err)
	}
	if len(rej) == 0 {
		return nil, nil
	}
	t.deletedFrom(tbl.Name)
	if _, err := t.sess.Tx.ExecContext(ctx, "DELETE FROM "+self+" WHERE "+where, source); err != nil {
		return nil, fmt.Errorf("%s: delete unresolved %s: %w", d.Name(), e, err)
	}
	return rej, nil
}

func (t *Tx) readUnresolved(r *sql.Rows, e canonical.Entity, source string, cols []warehouse.Column, refs []canonical.Field) ([]canonical.Rejection, error) {
	defer r.Close()
	types, err := r.ColumnTypes()
	if err != nil {
		return nil, err
	}
	var out []canonical.Rejection
	for r.Next() {
		texts, err := t.s.scanText(r, types)
		if err != nil {
			return nil, err
		}
		id := *texts[1]
		var problems []string
		for i, f := range refs {
			if flag := texts[len(cols)+i]; flag != nil && *flag == "1" {
				problems = append(problems, fmt.Sprintf("%s '%s' not found in source '%s'", f.Name, textOrEmpty(texts[indexOf(cols, f.Name)]), source))
			}
		}
		out = append(out, canonical.Rejection{
			Source: source, Entity: e, ExternalID: id,
			Reason: fmt.Sprintf("%s '%s': %s", e, id, strings.Join(problems, "; ")),
			Raw:    rowJSON(cols, texts[:len(cols)]),
		})
	}
	return out, r.Err()
}

func textOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func indexOf(cols []warehouse.Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// rowJSON renders a stored row as a JSON object in column order, attributes nested.
func rowJSON(cols []warehouse.Column, texts []*string) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c.Name)
		b.Write(k)
		b.WriteByte(':')
		switch {
		case texts[i] == nil:
			b.WriteString("null")
		case c.Type == warehouse.JSON && json.Valid([]byte(*texts[i])):
			b.WriteString(*texts[i])
		default:
			v, _ := json.Marshal(*texts[i])
			b.Write(v)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// Commit drops the transaction's staging tables and commits.
func (t *Tx) Commit() error {
	if err := t.check(); err != nil {
		return err
	}
	ctx := context.Background()
	var err error
	if _, ddlCommits := t.s.d.(DDLCommitter); ddlCommits {
		clear(t.staged) // session-lived staging tables: a DROP would commit early
	}
	for name := range t.staged {
		if err = execAll(ctx, t.sess.Tx, "DROP TABLE IF EXISTS "+t.s.d.Quote(name)); err != nil {
			break
		}
	}
	t.done = true
	t.written = nil
	if err != nil {
		return errors.Join(fmt.Errorf("%s: commit: %w", t.s.d.Name(), err), endSession(t.sess, false))
	}
	if err := endSession(t.sess, true); err != nil {
		return fmt.Errorf("%s: commit: %w", t.s.d.Name(), err)
	}
	return nil
}

// Rollback discards the transaction; it is a no-op after Commit or Rollback.
func (t *Tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	t.written = nil
	if err := endSession(t.sess, false); err != nil {
		return fmt.Errorf("%s: rollback: %w", t.s.d.Name(), err)
	}
	return nil
}
