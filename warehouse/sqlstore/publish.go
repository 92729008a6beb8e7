package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/shopspring/decimal"
)

// Publish fills staging copies of every result table and swaps them in, all in one
// transaction: the staging tables are created, fill appends rows (loaded in batches
// with Dialect.Load), then Dialect.Publish replaces each live table's contents and the
// transaction commits. If fill or any step fails the transaction rolls back and the live
// tables are untouched.
func (s *Store) Publish(ctx context.Context, fill func(ctx context.Context, w warehouse.ResultWriter) error) error {
	if dc, ok := s.d.(DDLCommitter); ok {
		return s.publishDDL(ctx, dc, fill)
	}
	sess, err := s.session(ctx)
	if err != nil {
		return err
	}
	w := &resultWriter{ctx: ctx, s: s, sess: sess, tables: map[string]*resultBuffer{}}
	if err := s.publish(ctx, sess, w, fill); err != nil {
		return errors.Join(err, endSession(sess, false))
	}
	if err := endSession(sess, true); err != nil {
		return fmt.Errorf("%s: publish: commit: %w", s.d.Name(), err)
	}
	return nil
}

func (s *Store) publish(ctx context.Context, sess Session, w *resultWriter, fill func(ctx context.Context, w warehouse.ResultWriter) error) error {
	if err := s.fillStaging(ctx, sess, w, fill, func(t warehouse.Table) string { return "revsync_publish_" + t.Name }); err != nil {
		return err
	}
	for _, t := range warehouse.ResultTables() {
		b := w.tables[t.Name]
		if err := execAll(ctx, sess.Tx, s.d.Publish(t, b.staging)...); err != nil {
			return fmt.Errorf("%s: publish %s: %w", s.d.Name(), t.Name, err)
		}
		if err := execAll(ctx, sess.Tx, "DROP TABLE IF EXISTS "+s.d.Quote(b.staging)); err != nil {
			return fmt.Errorf("%s: publish %s: %w", s.d.Name(), t.Name, err)
		}
	}
	return nil
}

// fillStaging creates the staging table of every result table (named by staging), runs
// fill and loads the remaining buffered rows.
func (s *Store) fillStaging(ctx context.Context, sess Session, w *resultWriter, fill func(ctx context.Context, w warehouse.ResultWriter) error, staging func(warehouse.Table) string) error {
	tables := warehouse.ResultTables()
	for _, t := range tables {
		b := &resultBuffer{t: t, staging: staging(t)}
		if err := execAll(ctx, sess.Tx, s.d.CreateStaging(b.staging, t)...); err != nil {
			return fmt.Errorf("%s: publish: create staging table for %s: %w", s.d.Name(), t.Name, err)
		}
		w.tables[t.Name] = b
	}
	if err := fill(ctx, w); err != nil {
		return fmt.Errorf("publish: computing results: %w", err)
	}
	for _, t := range tables {
		if err := w.flush(w.tables[t.Name]); err != nil {
			return err
		}
	}
	return nil
}

type resultBuffer struct {
	t       warehouse.Table
	staging string
	rows    [][]any
}

// resultWriter buffers result rows per table and loads them into staging tables.
type resultWriter struct {
	ctx    context.Context
	s      *Store
	sess   Session
	tables map[string]*resultBuffer
}

// Append checks a row against the table's columns and buffers it.
func (w *resultWriter) Append(table string, values ...any) error {
	b := w.tables[table]
	if b == nil {
		return fmt.Errorf("publish: %q is not a result table", table)
	}
	if len(values) != len(b.t.Columns) {
		return fmt.Errorf("publish: %s has %d columns, got %d values", table, len(b.t.Columns), len(values))
	}
	row := make([]any, len(values))
	for i, v := range values {
		c := b.t.Columns[i]
		nv, err := neutral(v, c.Type)
		if err != nil {
			return fmt.Errorf("publish: %s.%s: %w", table, c.Name, err)
		}
		if nv == nil && c.NotNull {
			return fmt.Errorf("publish: %s.%s must not be NULL", table, c.Name)
		}
		row[i] = nv
	}
	b.rows = append(b.rows, row)
	if len(b.rows) >= flushRows {
		return w.flush(b)
	}
	return nil
}

func (w *resultWriter) flush(b *resultBuffer) error {
	if len(b.rows) == 0 {
		return nil
	}
	if err := w.s.d.Load(w.ctx, w.sess, Target{Name: b.staging, Staging: true}, b.t, b.rows); err != nil {
		return fmt.Errorf("%s: publish: load %d %s rows: %w", w.s.d.Name(), len(b.rows), b.t.Name, err)
	}
	b.rows = b.rows[:0]
	return nil
}

// neutral checks that v suits a column of type t and normalises it to the neutral value
// types of Dialect (int → int64, time.Time → canonical.Date for dates, pointers
// dereferenced).
func neutral(v any, t warehouse.Type) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *decimal.Decimal:
		if x == nil {
			return nil, nil
		}
		v = *x
	case *canonical.Date:
		if x == nil {
			return nil, nil
		}
		v = *x
	case *time.Time:
		if x == nil {
			return nil, nil
		}
		v = *x
	case *string:
		if x == nil {
			return nil, nil
		}
		v = *x
	case int:
		v = int64(x)
	case int32:
		v = int64(x)
	}
	ok := false
	switch t {
	case warehouse.Text:
		_, ok = v.(string)
	case warehouse.Date:
		if tm, isTime := v.(time.Time); isTime {
			v, ok = canonical.DateOf(tm), true
		} else {
			_, ok = v.(canonical.Date)
		}
	case warehouse.Timestamp:
		if tm, isTime := v.(time.Time); isTime {
			v, ok = tm.UTC(), true
		}
	case warehouse.Money, warehouse.Rate:
		_, ok = v.(decimal.Decimal)
	case warehouse.Integer:
		_, ok = v.(int64)
	case warehouse.Boolean:
		_, ok = v.(bool)
	case warehouse.JSON:
		switch x := v.(type) {
		case string:
			v, ok = json.RawMessage(x), json.Valid([]byte(x))
		case json.RawMessage:
			ok = json.Valid(x)
		}
	}
	if !ok {
		return nil, fmt.Errorf("a %T value does not fit a %s column", v, typeName(t))
	}
	return v, nil
}

func typeName(t warehouse.Type) string {
	switch t {
	case warehouse.Text:
		return "text"
	case warehouse.Date:
		return "date (canonical.Date)"
	case warehouse.Timestamp:
		return "timestamp (time.Time)"
	case warehouse.Money:
		return "money (decimal.Decimal)"
	case warehouse.Rate:
		return "rate (decimal.Decimal)"
	case warehouse.Integer:
		return "integer (int64)"
	case warehouse.Boolean:
		return "boolean"
	case warehouse.JSON:
		return "JSON"
	}
	return "unknown"
}
