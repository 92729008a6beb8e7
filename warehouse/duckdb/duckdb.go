// Package duckdb is revsync's embedded warehouse: one DuckDB file holding every table of
// SPEC §6 in its main schema. It supplies the DuckDB Dialect (identifier quoting, types,
// the appender as bulk path) to warehouse/sqlstore, which implements the behaviour. It
// must not hold warehouse logic of its own: what is not DuckDB-specific belongs in
// sqlstore so that PostgreSQL and Snowflake share it.
//
// DuckDB allows one writing process per file: the caller opens the file for the span of
// a run (or a query) and closes it afterwards, which releases the lock.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/sqlstore"
	"github.com/shopspring/decimal"
)

// Warehouse is an open DuckDB warehouse file; it implements warehouse.Warehouse.
type Warehouse struct {
	*sqlstore.Store
	connector *duckdb.Connector
	path      string
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// Open opens (creating if absent) the DuckDB file at path and takes its write lock until
// Close. It does not create tables: call Migrate.
func Open(ctx context.Context, path string) (*Warehouse, error) {
	if path == "" {
		return nil, errors.New("duckdb: the warehouse path is empty (set warehouse.path, like revsync.duckdb)")
	}
	connector, err := duckdb.NewConnector(path, nil)
	if err != nil {
		if strings.Contains(err.Error(), "Could not set lock") {
			return nil, fmt.Errorf("duckdb: open %s: another process has the file open (DuckDB allows one process per file; wait for it to finish): %w", path, err)
		}
		return nil, fmt.Errorf("duckdb: open %s: %w", path, err)
	}
	db := sql.OpenDB(connector)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		connector.Close()
		return nil, fmt.Errorf("duckdb: open %s: %w", path, err)
	}
	store := sqlstore.New(db, Dialect{})
	// DuckDB has no index to page with: every page would rescan and re-sort the table.
	// One ordered query is linear, and DuckDB keeps its result under its memory limit,
	// spilling to <path>.tmp; Go holds one row at a time.
	store.ScanPage = sqlstore.Unpaged
	return &Warehouse{Store: store, connector: connector, path: path}, nil
}

// Path returns the file the warehouse was opened on.
func (w *Warehouse) Path() string { return w.path }

// Close closes every connection and the database, releasing the file lock.
func (w *Warehouse) Close() error {
	err := w.Store.Close()
	if cerr := w.connector.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return fmt.Errorf("duckdb: close %s: %w", w.path, err)
	}
	return nil
}

// Dialect is DuckDB's sqlstore.Dialect: tables in the main schema, TIMESTAMP columns
// holding UTC, and the appender as bulk path.
type Dialect struct{}

var (
	_ sqlstore.Dialect        = Dialect{}
	_ sqlstore.TableCreator   = Dialect{}
	_ sqlstore.FreshInserter  = Dialect{}
	_ sqlstore.DecimalScanner = Dialect{}
)

// ScanDecimal converts a scanned DECIMAL exactly (its integer value at its scale).
func (Dialect) ScanDecimal(v any) (decimal.Decimal, bool) {
	x, ok := v.(duckdb.Decimal)
	if !ok || x.Value == nil {
		return decimal.Decimal{}, false
	}
	return decimal.NewFromBigInt(x.Value, -int32(x.Scale)), true
}

// Name returns "duckdb".
func (Dialect) Name() string { return "duckdb" }

// Quote double-quotes an identifier.
func (Dialect) Quote(ident string) string { return sqlstore.QuoteDouble(ident) }

// Table qualifies a table name with the main schema.
func (Dialect) Table(name string) string {
	return sqlstore.QuoteDouble("main") + "." + sqlstore.QuoteDouble(name)
}

// ColumnType maps logical types to DuckDB types.
func (Dialect) ColumnType(t warehouse.Type) string {
	switch t {
	case warehouse.Date:
		return "DATE"
	case warehouse.Timestamp:
		return "TIMESTAMP"
	case warehouse.Money:
		return "DECIMAL(18,4)"
	case warehouse.Rate:
		return "DECIMAL(18,10)"
	case warehouse.Integer:
		return "BIGINT"
	case warehouse.Boolean:
		return "BOOLEAN"
	case warehouse.JSON:
		return "JSON"
	}
	return "VARCHAR"
}

// scale is the number of decimal places of a DECIMAL column type.
func scale(t warehouse.Type) int32 {
	if t == warehouse.Rate {
		return 10
	}
	return 4
}

// Placeholder returns $n.
func (Dialect) Placeholder(n int) string { return fmt.Sprintf("$%d", n) }

// Arg binds dates and timestamps as time.Time and decimals as exact strings (DuckDB
// casts them to DECIMAL without rounding through float).
func (Dialect) Arg(v any, t warehouse.Type) (any, error) {
	switch x := v.(type) {
	case canonical.Date:
		return x.Time(), nil
	case decimal.Decimal:
		return x.String(), nil
	case json.RawMessage:
		return string(x), nil
	}
	return v, nil
}

// Setup returns nothing: the main schema always exists.
func (Dialect) Setup() []string { return nil }

// CreateStaging creates (or replaces) a temporary table, private to the connection.
func (d Dialect) CreateStaging(name string, t warehouse.Table) []string {
	return []string{fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s (%s)", d.Quote(name), sqlstore.StagingColumns(d, t))}
}

// Load appends rows with the DuckDB appender on the session's connection, inside its
// transaction; decimals are passed as exact scaled integers, never floats.
func (Dialect) Load(ctx context.Context, s sqlstore.Session, target sqlstore.Target, t warehouse.Table, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	catalog, schema := "", "main"
	if target.Staging {
		catalog = "temp"
	}
	return s.Conn.Raw(func(dc any) error {
		conn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("connection is a %T, not a DuckDB connection", dc)
		}
		app, err := duckdb.NewAppender(conn, catalog, schema, target.Name)
		if err != nil {
			return fmt.Errorf("appender on %s: %w", target.Name, err)
		}
		vals := make([]driver.Value, len(t.Columns))
		for r, row := range rows {
			if err := ctx.Err(); err != nil {
				app.Close()
				return err
			}
			for i, v := range row {
				av, err := appendValue(v, t.Columns[i].Type)
				if err != nil {
					app.Close()
					return fmt.Errorf("row %d, %s: %w", r+1, t.Columns[i].Name, err)
				}
				vals[i] = av
			}
			if err := app.AppendRow(vals...); err != nil {
				app.Close()
				return fmt.Errorf("row %d: %w", r+1, err)
			}
		}
		if err := app.Close(); err != nil {
			return fmt.Errorf("appender on %s: %w", target.Name, err)
		}
		return nil
	})
}

// InsertFresh appends rows whose keys are not stored yet (sqlstore.Tx guarantees it)
// straight into the live table with the appender, skipping the staging table and the
// INSERT … ON CONFLICT merge, which costs DuckDB an index probe and a conflict check
// per row. Keys deleted earlier in the transaction never come this way: sqlstore merges
// them, as DuckDB's ART index may still hold them until commit.
func (d Dialect) InsertFresh(ctx context.Context, s sqlstore.Session, t warehouse.Table, rows [][]any) error {
	return d.Load(ctx, s, sqlstore.Target{Name: t.Name}, t, rows)
}

// appendValue converts a neutral value into what the appender writes exactly.
func appendValue(v any, t warehouse.Type) (driver.Value, error) {
	switch x := v.(type) {
	case canonical.Date:
		return x.Time(), nil
	case time.Time:
		return x.UTC(), nil
	case decimal.Decimal:
		// DECIMAL(18,s) is a BIGINT inside DuckDB, and duckdb-go stores an int64 appended
		// to it as that internal scaled integer: no big.Int to allocate. The round-trip
		// tests (TestScan_RoundTripsEveryEntityExactly) pin this behaviour.
		if n, ok := scaledInt64(x, t); ok {
			return n, nil
		}
		return exactDecimal(x, t)
	case json.RawMessage:
		return x, nil
	case string:
		if t == warehouse.JSON {
			return json.RawMessage(x), nil
		}
	}
	return v, nil
}

// pow10 holds 10^0 … 10^18.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// scaledInt64 returns d scaled to the column's decimal places when that is exact and
// fits DECIMAL(18,s) without big.Int arithmetic; false sends d through exactDecimal.
func scaledInt64(d decimal.Decimal, t warehouse.Type) (int64, bool) {
	shift := scale(t) + d.Exponent()
	if shift < 0 || shift > 18 || d.NumDigits() > 18 {
		return 0, false
	}
	c, p := d.CoefficientInt64(), pow10[shift]
	if limit := (pow10[18] - 1) / p; c > limit || c < -limit {
		return 0, false
	}
	return c * p, true
}

// exactDecimal scales d to the column's decimal places as DuckDB's internal integer.
func exactDecimal(d decimal.Decimal, t warehouse.Type) (duckdb.Decimal, error) {
	sc := scale(t)
	// Fast path, without big.Int arithmetic: a coefficient of at most 18 digits and
	// no more decimals than the column has.
	if shift := sc + d.Exponent(); shift >= 0 && shift <= 18 && d.NumDigits() <= 18 {
		c, p := d.CoefficientInt64(), pow10[shift]
		if limit := (pow10[18] - 1) / p; c <= limit && c >= -limit {
			return duckdb.Decimal{Width: 18, Scale: uint8(sc), Value: big.NewInt(c * p)}, nil
		}
	}
	scaled := d.Shift(sc)
	if !scaled.Equal(scaled.Truncate(0)) {
		return duckdb.Decimal{}, fmt.Errorf("%s has more than %d decimal places and cannot be stored exactly", d.String(), sc)
	}
	v := scaled.BigInt()
	if v.CmpAbs(maxDecimal18) >= 0 {
		return duckdb.Decimal{}, fmt.Errorf("%s does not fit DECIMAL(18,%d)", d.String(), sc)
	}
	return duckdb.Decimal{Width: 18, Scale: uint8(sc), Value: v}, nil
}

var maxDecimal18 = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// CreateTable creates live tables with their primary key, except result tables: Publish
// deletes and re-inserts their rows in one transaction while readers hold older
// snapshots, which DuckDB's ART indexes do not support (write-write conflicts and
// internal errors on the re-inserted keys). Their keys are guaranteed by the metrics
// engine that fills them instead.
func (d Dialect) CreateTable(t warehouse.Table) string {
	for _, r := range warehouse.ResultTables() {
		if r.Name == t.Name {
			t.Key = nil
		}
	}
	return sqlstore.CreateTable(d, t)
}

// Upsert is INSERT … ON CONFLICT (key) DO UPDATE.
func (d Dialect) Upsert(t warehouse.Table, from string) string {
	return sqlstore.InsertOnConflict(d, t, from)
}

// Publish replaces the live table's rows with the staging rows (DELETE + INSERT, which
// DuckDB's MVCC makes atomic for readers once the transaction commits).
func (d Dialect) Publish(t warehouse.Table, staging string) []string {
	return sqlstore.ReplaceContents(d, t, staging)
}

// ReadExpr reads JSON columns as their text, so attributes round-trip exactly.
func (Dialect) ReadExpr(c warehouse.Column, quoted string) string {
	if c.Type == warehouse.JSON {
		return "CAST(" + quoted + " AS VARCHAR)"
	}
	return quoted
}

// Numeric reports integer, floating-point and DECIMAL columns.
func (Dialect) Numeric(ct *sql.ColumnType) bool {
	name := strings.ToUpper(ct.DatabaseTypeName())
	if strings.HasPrefix(name, "DECIMAL") {
		return true
	}
	switch name {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
		"UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE":
		return true
	}
	return false
}

// Text renders DuckDB values: DECIMAL exactly at its scale, DATE as YYYY-MM-DD,
// TIMESTAMP as RFC 3339 UTC, TIME as hh:mm:ss[.ffffff], and the rest via FormatValue.
func (Dialect) Text(ct *sql.ColumnType, v any) (string, error) {
	name := strings.ToUpper(ct.DatabaseTypeName())
	switch x := v.(type) {
	case duckdb.Decimal:
		if x.Value == nil {
			return "", errors.New("DECIMAL value without digits")
		}
		return decimal.NewFromBigInt(x.Value, -int32(x.Scale)).StringFixed(int32(x.Scale)), nil
	case time.Time:
		switch {
		case name == "DATE":
			return x.Format(time.DateOnly), nil
		case strings.HasPrefix(name, "TIME") && !strings.HasPrefix(name, "TIMESTAMP"):
			return x.Format("15:04:05.999999"), nil
		}
		return x.UTC().Format(time.RFC3339Nano), nil
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d microseconds", x.Months, x.Days, x.Micros), nil
	}
	return sqlstore.FormatValue(v, name)
}
