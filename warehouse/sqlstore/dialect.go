package sqlstore

import (
	"context"
	"database/sql"

	"github.com/revsync/revsync/warehouse"
)

// Dialect is what a SQL warehouse must provide for Store to implement
// warehouse.Warehouse on it. Every method but Load and Text is a pure function that
// returns SQL text; Store runs the statements.
//
// Values handed to a dialect ("neutral values") are one of: nil (NULL), string,
// canonical.Date, time.Time (UTC), int64, bool, decimal.Decimal, or json.RawMessage (a
// JSON column's document). Names passed unquoted are plain identifiers chosen by Store or
// taken from warehouse/schema.go.
type Dialect interface {
	// Name is the warehouse type used in error messages, such as "duckdb".
	Name() string
	// Quote quotes one identifier; Store quotes every identifier it writes.
	Quote(ident string) string
	// Table returns the quoted, schema-qualified name of a live revsync table.
	Table(name string) string
	// ColumnType returns the SQL type of a logical column type.
	ColumnType(t warehouse.Type) string
	// Placeholder returns the n-th (1-based) bind parameter, such as "$1" or "?".
	Placeholder(n int) string
	// Arg converts a neutral value into a bind argument for a column of type t.
	Arg(v any, t warehouse.Type) (any, error)
	// Setup returns statements Migrate runs before anything else, such as
	// CREATE SCHEMA IF NOT EXISTS; it may return none.
	Setup() []string
	// CreateStaging returns statements that create an empty session-local staging
	// table called name (unquoted, resolved unqualified on the session) with t's
	// columns, no key and no NOT NULL, replacing any leftover of the same name. Store
	// runs them inside the session's transaction.
	CreateStaging(name string, t warehouse.Table) []string
	// Load appends rows (neutral values in t's column order) to target, on the
	// session's connection inside its transaction. It is the bulk path: COPY, an
	// appender, or multi-row inserts.
	Load(ctx context.Context, s Session, target Target, t warehouse.Table, rows [][]any) error
	// Upsert returns the statement that inserts the rows produced by from (a SELECT
	// yielding t's columns in order, or a VALUES list) into t, updating every non-key
	// column of rows whose key already exists. InsertOnConflict is the ANSI-ish
	// default.
	Upsert(t warehouse.Table, from string) string
	// Publish returns the statements that replace the contents of live result table t
	// with those of the staging table called staging (unquoted); Store runs them inside
	// the publication transaction. ReplaceContents is the default.
	Publish(t warehouse.Table, staging string) []string
	// ReadExpr returns the select expression that reads column c (already quoted as
	// quoted) so that Text can render it exactly, such as a cast of JSON to text.
	ReadExpr(c warehouse.Column, quoted string) string
	// Numeric reports whether a result column holds numbers.
	Numeric(ct *sql.ColumnType) bool
	// Text renders one non-NULL scanned value as text: decimals exactly at their
	// scale, dates as YYYY-MM-DD, timestamps as RFC 3339 in UTC, booleans as
	// true/false. FormatValue handles the common Go types.
	Text(ct *sql.ColumnType, v any) (string, error)
}

// Session is one pinned connection and, while Store writes, its open transaction.
type Session struct {
	Conn *sql.Conn
	Tx   *sql.Tx
}

// Target names the table a Dialect.Load writes to.
type Target struct {
	// Name is the unquoted table name.
	Name string
	// Staging is true for a staging table made by CreateStaging, false for a live
	// revsync table (to be qualified with Dialect.Table).
	Staging bool
}
