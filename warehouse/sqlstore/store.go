package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
)

// DefaultScanPage is how many rows Scan reads per query.
const DefaultScanPage = 50_000

// Unpaged is the Store.ScanPage value that makes Scan use one query.
const Unpaged = -1

// flushRows is how many rows Publish buffers per result table before loading them.
const flushRows = 10_000

// Store implements warehouse.Warehouse on a database/sql pool through a Dialect.
type Store struct {
	db *sql.DB
	d  Dialect
	// ScanPage is how many rows Scan reads per query (keyset pagination on
	// (source, external_id)), bounding memory on drivers that materialise results;
	// Unpaged (any negative value) reads with one ordered query, for databases that
	// stream or spill large results themselves and would rescan the table per page.
	ScanPage int
	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

var _ warehouse.Warehouse = (*Store)(nil)

// New returns a Store that runs d's SQL on db. The Store owns db: Close closes it.
func New(db *sql.DB, d Dialect) *Store {
	return &Store{db: db, d: d, ScanPage: DefaultScanPage, Now: time.Now}
}

// DB returns the underlying pool.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.d }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// session pins one connection and begins a transaction on it.
func (s *Store) session(ctx context.Context) (Session, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return Session{}, fmt.Errorf("%s: connect: %w", s.d.Name(), err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return Session{}, fmt.Errorf("%s: begin transaction: %w", s.d.Name(), err)
	}
	return Session{Conn: conn, Tx: tx}, nil
}

func endSession(sess Session, commit bool) error {
	var err error
	if commit {
		err = sess.Tx.Commit()
	} else {
		err = sess.Tx.Rollback()
		if errors.Is(err, sql.ErrTxDone) {
			err = nil
		}
	}
	return errors.Join(err, sess.Conn.Close())
}

// execAll runs statements in order on the transaction.
func execAll(ctx context.Context, tx *sql.Tx, stmts ...string) error {
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", abbreviate(q), err)
		}
	}
	return nil
}

// abbreviate shortens a statement for error messages.
func abbreviate(q string) string {
	if len(q) > 120 {
		return q[:117] + "..."
	}
	return q
}

// placeholders returns n placeholders starting at from, comma-separated.
func (s *Store) placeholders(from, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = s.d.Placeholder(from + i)
	}
	return strings.Join(p, ", ")
}

// args converts neutral values to bind arguments for the given column types.
func (s *Store) args(t warehouse.Table, vals []any) ([]any, error) {
	out := make([]any, len(vals))
	for i, v := range vals {
		a, err := s.d.Arg(v, t.Columns[i].Type)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.Name, t.Columns[i].Name, err)
		}
		out[i] = a
	}
	return out, nil
}

// upsertRow inserts or updates one row of t (neutral values in column order).
func (s *Store) upsertRow(ctx context.Context, tx *sql.Tx, t warehouse.Table, vals []any) error {
	args, err := s.args(t, vals)
	if err != nil {
		return err
	}
	q := s.d.Upsert(t, "VALUES ("+s.placeholders(1, len(vals))+")")
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("%s: upsert into %s: %w", s.d.Name(), t.Name, err)
	}
	return nil
}

// Begin starts a write transaction on a pinned connection.
func (s *Store) Begin(ctx context.Context) (warehouse.Tx, error) {
	var pre []string
	if dc, ok := s.d.(DDLCommitter); ok {
		pre = dc.SessionDDL()
	}
	sess, err := s.sessionWith(ctx, pre)
	if err != nil {
		return nil, err
	}
	return &Tx{s: s, sess: sess, staged: map[string]bool{}, seed: maphash.MakeSeed()}, nil
}

// State returns the committed cursors of source by stream.
func (s *Store) State(ctx context.Context, source string) (map[string]string, error) {
	q := fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s = %s", s.d.Quote("stream"), s.d.Quote("cursor"),
		s.d.Table(warehouse.SyncState.Name), s.d.Quote("source"), s.d.Placeholder(1))
	rows, err := s.db.QueryContext(ctx, q, source)
	if err != nil {
		return nil, fmt.Errorf("%s: read sync_state of source %q: %w", s.d.Name(), source, err)
	}
	defer rows.Close()
	state := map[string]string{}
	for rows.Next() {
		var stream, cursor string
		if err := rows.Scan(&stream, &cursor); err != nil {
			return nil, fmt.Errorf("%s: read sync_state of source %q: %w", s.d.Name(), source, err)
		}
		state[stream] = cursor
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: read sync_state of source %q: %w", s.d.Name(), source, err)
	}
	return state, nil
}

// SaveRun inserts or updates a row of sync_runs.
func (s *Store) SaveRun(ctx context.Context, run warehouse.Run) error {
	var finished any
	if run.FinishedAt != nil {
		finished = run.FinishedAt.UTC()
	}
	vals := []any{run.ID, nullIfEmpty(run.Job), nullIfEmpty(run.Source), nullIfEmpty(run.Trigger),
		run.StartedAt.UTC(), finished, run.Status, run.Read, run.Written, run.Rejected, nullIfEmpty(run.Error)}
	sess, err := s.session(ctx)
	if err != nil {
		return err
	}
	if err := s.upsertRow(ctx, sess.Tx, warehouse.SyncRuns, vals); err != nil {
		endSession(sess, false)
		return fmt.Errorf("save run %s: %w", run.ID, err)
	}
	if err := endSession(sess, true); err != nil {
		return fmt.Errorf("%s: save run %s: commit: %w", s.d.Name(), run.ID, err)
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Query runs one SQL statement and returns its result rendered as text.
func (s *Store) Query(ctx context.Context, query string) (*warehouse.Result, error) {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("%s: query: %w", s.d.Name(), err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("%s: query: %w", s.d.Name(), err)
	}
	res := &warehouse.Result{Columns: make([]string, len(types)), Numeric: make([]bool, len(types))}
	for i, ct := range types {
		res.Columns[i] = ct.Name()
		res.Numeric[i] = s.d.Numeric(ct)
	}
	for rows.Next() {
		row, err := s.scanText(rows, types)
		if err != nil {
			return nil, fmt.Errorf("%s: query: %w", s.d.Name(), err)
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: query: %w", s.d.Name(), err)
	}
	return res, nil
}

// scanText scans the current row and renders every value with Dialect.Text.
func (s *Store) scanText(rows *sql.Rows, types []*sql.ColumnType) ([]*string, error) {
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	out := make([]*string, len(types))
	for i, v := range vals {
		if v == nil {
			continue
		}
		text, err := s.d.Text(types[i], v)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", types[i].Name(), err)
		}
		out[i] = &text
	}
	return out, nil
}

// recordColumns are the columns of a canonical table that make up a record (all but
// synced_at and run_id).
func recordColumns(t warehouse.Table) []warehouse.Column {
	return t.Columns[:len(t.Columns)-2]
}

// selectList returns the read expressions of cols, each prefixed by the table name
// qualifier qual (may be empty).
func (s *Store) selectList(cols []warehouse.Column, qual string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = s.d.ReadExpr(c, qual+s.d.Quote(c.Name))
	}
	return strings.Join(parts, ", ")
}

// Scan calls fn with every stored record of entity in (source, external_id) order,
// reading ScanPage rows per query.
func (s *Store) Scan(ctx context.Context, entity canonical.Entity, fn func(canonical.Record) error) error {
	if canonical.SchemaOf(entity) == nil {
		return fmt.Errorf("scan: %q is not an entity", entity)
	}
	t := warehouse.CanonicalTable(entity)
	cols := recordColumns(t)
	src, ext := s.d.Quote("source"), s.d.Quote("external_id")
	base := fmt.Sprintf("SELECT %s FROM %s", s.selectList(cols, ""), s.d.Table(t.Name))
	order := fmt.Sprintf(" ORDER BY %s, %s LIMIT %d", src, ext, s.pageSize())
	next := fmt.Sprintf("%s WHERE %s > %s OR (%s = %s AND %s > %s)%s", base, src, s.d.Placeholder(1),
		src, s.d.Placeholder(2), ext, s.d.Placeholder(3), order)
	var lastSource, lastID string
	if s.ScanPage < 0 {
		rows, err := s.db.QueryContext(ctx, fmt.Sprintf("%s ORDER BY %s, %s", base, src, ext))
		if err != nil {
			return fmt.Errorf("%s: scan %s: %w", s.d.Name(), entity, err)
		}
		_, err = s.scanPage(rows, entity, cols, fn, &lastSource, &lastID)
		return err
	}
	for page := 0; ; page++ {
		var rows *sql.Rows
		var err error
		if page == 0 {
			rows, err = s.db.QueryContext(ctx, base+order)
		} else {
			rows, err = s.db.QueryContext(ctx, next, lastSource, lastSource, lastID)
		}
		if err != nil {
			return fmt.Errorf("%s: scan %s: %w", s.d.Name(), entity, err)
		}
		n, err := s.scanPage(rows, entity, cols, fn, &lastSource, &lastID)
		if err != nil {
			return err
		}
		if n < s.pageSize() {
			return nil
		}
	}
}

func (s *Store) pageSize() int {
	if s.ScanPage == 0 {
		return DefaultScanPage
	}
	return s.ScanPage
}

func (s *Store) scanPage(rows *sql.Rows, entity canonical.Entity, cols []warehouse.Column, fn func(canonical.Record) error, lastSource, lastID *string) (int, error) {
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return 0, fmt.Errorf("%s: scan %s: %w", s.d.Name(), entity, err)
	}
	n := 0
	sc := newRowScanner(len(types))
	for rows.Next() {
		vals, err := sc.scan(rows)
		if err != nil {
			return n, fmt.Errorf("%s: scan %s: %w", s.d.Name(), entity, err)
		}
		rec, err := s.recordFromValues(entity, cols, types, vals)
		if err != nil {
			return n, fmt.Errorf("%s: scan %s: stored row does not parse: %w", s.d.Name(), entity, err)
		}
		k := rec.Key()
		*lastSource, *lastID = k.Source, k.ExternalID
		n++
		if err := fn(rec); err != nil {
			return n, err
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("%s: scan %s: %w", s.d.Name(), entity, err)
	}
	return n, nil
}
