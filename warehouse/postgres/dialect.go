package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/sqlstore"
)

// Dialect is the PostgreSQL sqlstore.Dialect for the tables of one schema.
type Dialect struct {
	// Schema is the unquoted schema holding the revsync tables.
	Schema string
}

var (
	_ sqlstore.Dialect        = (*Dialect)(nil)
	_ sqlstore.DirectInserter = (*Dialect)(nil)
)

// Name returns "postgres".
func (d *Dialect) Name() string { return "postgres" }

// Quote quotes an identifier with double quotes.
func (d *Dialect) Quote(ident string) string { return sqlstore.QuoteDouble(ident) }

// Table returns "schema"."name".
func (d *Dialect) Table(name string) string { return d.Quote(d.Schema) + "." + d.Quote(name) }

// ColumnType maps logical types: NUMERIC(18,4) money, NUMERIC(18,10) rates, DATE,
// TIMESTAMPTZ, BIGINT, BOOLEAN, JSONB, and TEXT COLLATE "C": text compares and sorts
// byte-wise as in DuckDB, whatever the database's locale, so Scan's (source,
// external_id) order is the same on every warehouse, and key lookups skip locale rules.
func (d *Dialect) ColumnType(t warehouse.Type) string {
	switch t {
	case warehouse.Date:
		return "DATE"
	case warehouse.Timestamp:
		return "TIMESTAMPTZ"
	case warehouse.Money:
		return "NUMERIC(18,4)"
	case warehouse.Rate:
		return "NUMERIC(18,10)"
	case warehouse.Integer:
		return "BIGINT"
	case warehouse.Boolean:
		return "BOOLEAN"
	case warehouse.JSON:
		return "JSONB"
	}
	return `TEXT COLLATE "C"`
}

// Placeholder returns $n.
func (d *Dialect) Placeholder(n int) string { return fmt.Sprintf("$%d", n) }

// Arg converts a neutral value into a pgx argument: decimals and JSON as text (exact),
// dates as midnight UTC.
func (d *Dialect) Arg(v any, t warehouse.Type) (any, error) {
	switch x := v.(type) {
	case decimal.Decimal:
		return x.String(), nil
	case canonical.Date:
		return pgtype.Date{Time: x.Time(), Valid: true}, nil
	case json.RawMessage:
		return string(x), nil
	case time.Time:
		return x.UTC(), nil
	}
	return v, nil
}

// Setup creates the schema when it is absent. Checking first lets a user without
// CREATE on the database use a schema made for it (CREATE SCHEMA IF NOT EXISTS checks
// the privilege before existence).
func (d *Dialect) Setup() []string {
	lit := "'" + strings.ReplaceAll(d.Schema, "'", "''") + "'"
	return []string{fmt.Sprintf(`DO $revsync$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s) THEN CREATE SCHEMA %s; END IF; END $revsync$`,
		lit, d.Quote(d.Schema))}
}

// CreateStaging creates a session-local temporary table, dropped at commit, without
// keys or NOT NULL.
func (d *Dialect) CreateStaging(name string, t warehouse.Table) []string {
	return []string{
		"DROP TABLE IF EXISTS pg_temp." + d.Quote(name),
		fmt.Sprintf("CREATE TEMPORARY TABLE %s (%s) ON COMMIT DROP", d.Quote(name), sqlstore.StagingColumns(d, t)),
	}
}

// Load appends rows with COPY (text format, see copyText) on the session's
// connection, inside its transaction.
func (d *Dialect) Load(ctx context.Context, s sqlstore.Session, target sqlstore.Target, t warehouse.Table, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	table := d.Table(target.Name)
	if target.Staging {
		table = d.Quote(target.Name)
	}
	if err := d.copyInto(ctx, s, table, t, rows); err != nil {
		return fmt.Errorf("COPY into %s: %w", target.Name, err)
	}
	return nil
}

// Upsert returns INSERT … ON CONFLICT (key) DO UPDATE SET … WHERE the stored row
// differs from the new one in any column but synced_at, so unchanged rows are not
// rewritten (no dead tuple, no WAL). run_id takes part in the comparison: a row written
// again by a new run is marked with that run, which Prune relies on.
func (d *Dialect) Upsert(t warehouse.Table, from string) string {
	cols := sqlstore.Columns(d, t, "")
	stmt := fmt.Sprintf("INSERT INTO %s AS t (%s) %s", d.Table(t.Name), cols, from)
	if len(t.Key) == 0 {
		return stmt
	}
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = d.Quote(k)
	}
	var sets, old, new []string
	for _, c := range t.Columns {
		if t.IsKey(c.Name) {
			continue
		}
		q := d.Quote(c.Name)
		sets = append(sets, q+" = excluded."+q)
		if c.Name != "synced_at" {
			old, new = append(old, "t."+q), append(new, "excluded."+q)
		}
	}
	if len(sets) == 0 {
		return stmt + " ON CONFLICT (" + strings.Join(keys, ", ") + ") DO NOTHING"
	}
	stmt += " ON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
	if len(old) > 0 {
		stmt += fmt.Sprintf(" WHERE (%s) IS DISTINCT FROM (%s)", strings.Join(old, ", "), strings.Join(new, ", "))
	}
	return stmt
}

// Publish locks the live table against other publishers (SHARE ROW EXCLUSIVE conflicts
// with itself but not with readers' ACCESS SHARE), then replaces its rows with
// DELETE + INSERT … SELECT in the publication transaction. Under MVCC a reader never
// waits and sees, in any isolation level, the previous complete result until the commit
// and the new one after; a TRUNCATE would make readers wait behind its ACCESS EXCLUSIVE
// lock and show an empty table to REPEATABLE READ snapshots taken before it, and a
// DROP + RENAME would break users' views on the table. The price is dead tuples, which
// autovacuum reclaims.
func (d *Dialect) Publish(t warehouse.Table, staging string) []string {
	return append([]string{"LOCK TABLE " + d.Table(t.Name) + " IN SHARE ROW EXCLUSIVE MODE"},
		sqlstore.ReplaceContents(d, t, staging)...)
}

// ReadExpr reads JSONB as its text.
func (d *Dialect) ReadExpr(c warehouse.Column, quoted string) string {
	if c.Type == warehouse.JSON {
		return quoted + "::text"
	}
	return quoted
}

// Numeric reports integer, numeric and floating-point columns.
func (d *Dialect) Numeric(ct *sql.ColumnType) bool {
	switch ct.DatabaseTypeName() {
	case "INT2", "INT4", "INT8", "NUMERIC", "FLOAT4", "FLOAT8", "OID":
		return true
	}
	return false
}

// Text renders a scanned value: NUMERIC arrives as its exact text, DATE as a time at
// midnight (YYYY-MM-DD), TIMESTAMPTZ as RFC 3339 in UTC.
func (d *Dialect) Text(ct *sql.ColumnType, v any) (string, error) {
	return sqlstore.FormatValue(v, ct.DatabaseTypeName())
}
