// Package warehouse defines what the sync runner and the CLI need from a warehouse
// (SPEC §6): versioned schema creation, transactional upserts of canonical records with
// their connector state, rejected records, run history, reading canonical data back for
// the metrics engine, atomic publication of result tables, and ad-hoc SQL. Dialects
// live in sub-packages (duckdb, postgres, snowflake); the table layout lives in schema.go
// so that every dialect creates the same tables.
package warehouse

import (
	"context"
	"time"

	"github.com/revsync/revsync/canonical"
)

// Warehouse is one open warehouse connection.
type Warehouse interface {
	// Migrate creates or upgrades the schema to the current version; it is idempotent.
	Migrate(ctx context.Context) error
	// Begin starts a write transaction for a run's canonical data.
	Begin(ctx context.Context) (Tx, error)
	// State returns the committed cursors of a source, by stream.
	State(ctx context.Context, source string) (map[string]string, error)
	// Scan calls fn with every stored record of entity, in (source, external_id) order.
	Scan(ctx context.Context, entity canonical.Entity, fn func(canonical.Record) error) error
	// Publish replaces every result table at once: fill writes the new rows into
	// staging tables and, if it returns nil, they are swapped in atomically. Readers see
	// the previous complete result or the new one, never a mix or an empty table. If
	// fill fails nothing changes.
	Publish(ctx context.Context, fill func(ctx context.Context, w ResultWriter) error) error
	// SaveRun inserts or updates a row of sync_runs.
	SaveRun(ctx context.Context, run Run) error
	// Query runs SQL, with unqualified table names resolving in the revsync schema, and
	// returns the result as text for people and machines.
	Query(ctx context.Context, sql string) (*Result, error)
	// Close releases the connection (and, for DuckDB, the file lock).
	Close() error
}

// Tx is a write transaction. Nothing is visible to readers before Commit; Rollback
// (or a crash) leaves the warehouse as it was.
type Tx interface {
	// Upsert inserts or updates records on (source, external_id), deduplicated within the
	// call (the last one wins), marking them as written by runID.
	Upsert(ctx context.Context, runID string, records []canonical.Record) error
	// Delete removes records of one source and entity by external_id.
	Delete(ctx context.Context, source string, entity canonical.Entity, externalIDs []string) error
	// Keep marks stored records of one source and entity as delivered by runID without
	// changing them, so that Prune keeps them: a record whose new input was rejected
	// keeps its last good version instead of disappearing. Unknown ids are ignored.
	Keep(ctx context.Context, source string, entity canonical.Entity, externalIDs []string, runID string) error
	// Reject stores rejected records under runID.
	Reject(ctx context.Context, runID string, rejections []canonical.Rejection) error
	// SaveState stores a stream's cursor for a source.
	SaveState(ctx context.Context, source, stream, cursor string) error
	// Prune deletes the records of source and entity that runID did not write (the
	// snapshot rule of SPEC §2) and returns how many it deleted.
	Prune(ctx context.Context, source string, entity canonical.Entity, runID string) (int64, error)
	// Unresolved moves the records of source whose references (canonical.References)
	// point at no record of the same source into rejected_records under runID, deletes
	// them from their tables, and returns the rejections (SPEC §1).
	Unresolved(ctx context.Context, source, runID string) ([]canonical.Rejection, error)
	// Commit makes the transaction's writes visible at once.
	Commit() error
	// Rollback discards the transaction; it is a no-op after Commit.
	Rollback() error
}

// ResultWriter receives the rows of the result tables during Publish.
type ResultWriter interface {
	// Append adds one row to a result table; values follow the table's column order
	// (ResultTables) with Go types string, canonical.Date, time.Time, int64, bool,
	// decimal.Decimal, or nil for NULL.
	Append(table string, values ...any) error
}

// Run is one row of sync_runs.
type Run struct {
	ID         string
	Job        string
	Source     string
	Trigger    string // cli, schedule, api
	StartedAt  time.Time
	FinishedAt *time.Time
	Status     string // running, succeeded, failed, skipped, cancelled
	Read       int64
	Written    int64
	Rejected   int64
	Error      string
}

// Result is a query result with every value rendered as text; a NULL is nil.
type Result struct {
	Columns []string
	// Numeric reports, per column, whether its values are numbers (JSON prints them
	// unquoted).
	Numeric []bool
	Rows    [][]*string
}
