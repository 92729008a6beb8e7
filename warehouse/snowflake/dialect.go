package snowflake

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/sqlstore"
)

// DefaultArrayBindMax is the default Dialect.ArrayBindMax: batches of fewer rows are
// inserted with array binding, larger ones go through PUT + COPY INTO.
const DefaultArrayBindMax = 1_000

// maxArrayBinds bounds the values of one array-bound INSERT below the driver's
// CLIENT_STAGE_ARRAY_BINDING_THRESHOLD (65,280 by default), above which gosnowflake
// would upload the binds through a stage it creates itself: DDL, which would commit the
// open transaction.
const maxArrayBinds = 65_000

// loadStage is the session's temporary internal stage that PUT uploads to.
const loadStage = "revsync_load"

// stagingPrefix is the prefix of the session-local staging tables of Tx.Upsert
// (sqlstore names them revsync_stage_<table>).
const stagingPrefix = "revsync_stage_"

// publishSuffix names the publication staging table of a result table.
const publishSuffix = "__staging"

// Dialect is the Snowflake sqlstore.Dialect for the tables of one schema. Identifiers
// are always quoted and upper-cased: Snowflake folds unquoted names to upper case, so
// `SELECT name FROM customers` typed by a person finds the "CUSTOMERS" table and its
// "NAME" column.
type Dialect struct {
	// Schema is the schema holding the revsync tables (upper-cased when quoted).
	Schema string
	// ArrayBindMax is the batch size from which Load uses PUT + COPY INTO instead of
	// array binding; 0 means DefaultArrayBindMax.
	ArrayBindMax int
	// TempDir is where Load writes the gzip-compressed CSV files it PUTs; "" is
	// os.TempDir().
	TempDir string

	seq atomic.Int64 // numbers the uploaded files
}

var (
	_ sqlstore.Dialect      = (*Dialect)(nil)
	_ sqlstore.DDLCommitter = (*Dialect)(nil)
)

// Name returns "snowflake".
func (d *Dialect) Name() string { return "snowflake" }

// Quote upper-cases an identifier and quotes it with double quotes.
func (d *Dialect) Quote(ident string) string { return sqlstore.QuoteDouble(strings.ToUpper(ident)) }

// Table returns "SCHEMA"."NAME".
func (d *Dialect) Table(name string) string { return d.Quote(d.Schema) + "." + d.Quote(name) }

// ColumnType maps logical types: NUMBER(18,4) money, NUMBER(18,10) rates, DATE,
// TIMESTAMP_NTZ (holding UTC), NUMBER(38,0), BOOLEAN, VARIANT and VARCHAR.
func (d *Dialect) ColumnType(t warehouse.Type) string {
	switch t {
	case warehouse.Date:
		return "DATE"
	case warehouse.Timestamp:
		return "TIMESTAMP_NTZ"
	case warehouse.Money:
		return "NUMBER(18,4)"
	case warehouse.Rate:
		return "NUMBER(18,10)"
	case warehouse.Integer:
		return "NUMBER(38,0)"
	case warehouse.Boolean:
		return "BOOLEAN"
	case warehouse.JSON:
		return "VARIANT"
	}
	return "VARCHAR"
}

// stagingType is the column type in staging tables: JSON is kept as its text
// (VARCHAR) so that CSV loads and array binding need no transformation; the MERGE
// parses it with PARSE_JSON.
func (d *Dialect) stagingType(t warehouse.Type) string {
	if t == warehouse.JSON {
		return "VARCHAR"
	}
	return d.ColumnType(t)
}

// Placeholder returns ?.
func (d *Dialect) Placeholder(int) string { return "?" }

// Arg converts a neutral value into a bind argument: text for decimals (exact), dates,
// timestamps (UTC, TIMESTAMP_NTZ literal form) and JSON; the statements cast them.
func (d *Dialect) Arg(v any, _ warehouse.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	s, err := text(v)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// text renders a non-nil neutral value the way Snowflake casts it back exactly.
func text(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case decimal.Decimal:
		return x.String(), nil
	case canonical.Date:
		return x.String(), nil
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05.000000"), nil
	case int64:
		return fmt.Sprint(x), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case json.RawMessage:
		return string(x), nil
	}
	return "", fmt.Errorf("snowflake: a %T value is not a neutral value", v)
}

// Setup creates the schema when it is absent.
func (d *Dialect) Setup() []string {
	return []string{"CREATE SCHEMA IF NOT EXISTS " + d.Quote(d.Schema)}
}

// SessionDDL creates, outside the write transaction (Snowflake DDL commits an open
// one), the session's temporary stage and a temporary staging table per canonical
// table. IF NOT EXISTS makes it cheap on a reused session.
func (d *Dialect) SessionDDL() []string {
	stmts := []string{"CREATE TEMPORARY STAGE IF NOT EXISTS " + d.Quote(loadStage)}
	for _, t := range warehouse.CanonicalTables() {
		stmts = append(stmts, fmt.Sprintf("CREATE TEMPORARY TABLE IF NOT EXISTS %s (%s)", d.Quote(stagingPrefix+t.Name), d.stagingColumns(t)))
	}
	return stmts
}

func (d *Dialect) stagingColumns(t warehouse.Table) string {
	parts := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		parts[i] = d.Quote(c.Name) + " " + d.stagingType(c.Type)
	}
	return strings.Join(parts, ", ")
}

// CreateStaging empties a staging table made by SessionDDL or PublishDDL: TRUNCATE is
// DML in Snowflake, so it stays inside the transaction.
func (d *Dialect) CreateStaging(name string, _ warehouse.Table) []string {
	return []string{"TRUNCATE TABLE IF EXISTS " + d.Quote(name)}
}

// PublishStaging returns <table>__staging.
func (d *Dialect) PublishStaging(t warehouse.Table) string { return t.Name + publishSuffix }

// PublishDDL creates the session's stage and, for every result table, an empty
// <table>__staging table in the revsync schema shaped LIKE the live one, so that SWAP
// exchanges two identical tables.
func (d *Dialect) PublishDDL() []string {
	stmts := []string{"CREATE TEMPORARY STAGE IF NOT EXISTS " + d.Quote(loadStage)}
	for _, t := range warehouse.ResultTables() {
		stmts = append(stmts, fmt.Sprintf("CREATE OR REPLACE TABLE %s LIKE %s", d.Table(d.PublishStaging(t)), d.Table(t.Name)))
	}
	return stmts
}

// Swap puts every committed staging table live with ALTER TABLE … SWAP WITH (each one
// atomic for readers of that table), then drops the previous contents.
func (d *Dialect) Swap() []string {
	var swaps, drops []string
	for _, t := range warehouse.ResultTables() {
		swaps = append(swaps, fmt.Sprintf("ALTER TABLE %s SWAP WITH %s", d.Table(t.Name), d.Table(d.PublishStaging(t))))
		drops = append(drops, "DROP TABLE IF EXISTS "+d.Table(d.PublishStaging(t)))
	}
	return append(swaps, drops...)
}

// Upsert returns MERGE INTO t USING the deduplicated rows of from (a SELECT of t's
// columns from a staging table, or a VALUES list), each cast to t's column type (JSON
// through PARSE_JSON). A matched row is rewritten only when a column other than
// synced_at differs (EQUAL_NULL), so re-sent unchanged rows cost no new micro-partition
// versions; run_id takes part, which Prune relies on. Without a key it is an INSERT.
func (d *Dialect) Upsert(t warehouse.Table, from string) string {
	src := d.source(t, from)
	if len(t.Key) == 0 {
		return fmt.Sprintf("INSERT INTO %s (%s) %s", d.Table(t.Name), sqlstore.Columns(d, t, ""), src)
	}
	keys := make([]string, len(t.Key))
	on := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = d.Quote(k)
		on[i] = "t." + d.Quote(k) + " = s." + d.Quote(k)
	}
	var sets, diffs []string
	for _, c := range t.Columns {
		if t.IsKey(c.Name) {
			continue
		}
		q := d.Quote(c.Name)
		sets = append(sets, q+" = s."+q)
		if c.Name != "synced_at" {
			diffs = append(diffs, "NOT EQUAL_NULL(t."+q+", s."+q+")")
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "MERGE INTO %s AS t USING (%s QUALIFY ROW_NUMBER() OVER (PARTITION BY %s ORDER BY %s) = 1) AS s ON %s",
		d.Table(t.Name), src, strings.Join(keys, ", "), strings.Join(keys, ", "), strings.Join(on, " AND "))
	if len(sets) > 0 {
		b.WriteString(" WHEN MATCHED")
		if len(diffs) > 0 {
			b.WriteString(" AND (" + strings.Join(diffs, " OR ") + ")")
		}
		b.WriteString(" THEN UPDATE SET " + strings.Join(sets, ", "))
	}
	fmt.Fprintf(&b, " WHEN NOT MATCHED THEN INSERT (%s) VALUES (%s)", sqlstore.Columns(d, t, ""), sqlstore.Columns(d, t, "s."))
	return b.String()
}

// source returns a SELECT of from's rows with every column cast to t's type and named
// after it.
func (d *Dialect) source(t warehouse.Table, from string) string {
	values := strings.HasPrefix(strings.TrimSpace(from), "VALUES")
	exprs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		in := d.Quote(c.Name)
		if values {
			in = fmt.Sprintf("$%d", i+1)
		}
		if c.Type == warehouse.JSON {
			exprs[i] = fmt.Sprintf("PARSE_JSON(%s) AS %s", in, d.Quote(c.Name))
		} else {
			exprs[i] = fmt.Sprintf("CAST(%s AS %s) AS %s", in, d.ColumnType(c.Type), d.Quote(c.Name))
		}
	}
	if values {
		return fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), from)
	}
	return fmt.Sprintf("SELECT %s FROM (%s)", strings.Join(exprs, ", "), from)
}

// Publish is not used (Store publishes through DDLCommitter); it returns the
// DELETE + INSERT replacement for completeness.
func (d *Dialect) Publish(t warehouse.Table, staging string) []string {
	return sqlstore.ReplaceContents(d, t, staging)
}

// ReadExpr reads VARIANT as its JSON text and money and rates as their exact decimal
// text (no float on the way).
func (d *Dialect) ReadExpr(c warehouse.Column, quoted string) string {
	switch c.Type {
	case warehouse.JSON:
		return "TO_JSON(" + quoted + ")"
	case warehouse.Money, warehouse.Rate:
		return "TO_VARCHAR(" + quoted + ")"
	}
	return quoted
}

// Numeric reports FIXED (NUMBER) and REAL columns.
func (d *Dialect) Numeric(ct *sql.ColumnType) bool {
	switch ct.DatabaseTypeName() {
	case "FIXED", "REAL", "DECFLOAT":
		return true
	}
	return false
}

// Text renders a scanned value: NUMBER with a scale arrives as its exact text, DATE as
// a time at midnight, TIMESTAMP_NTZ as a UTC time.
func (d *Dialect) Text(ct *sql.ColumnType, v any) (string, error) {
	return sqlstore.FormatValue(v, ct.DatabaseTypeName())
}

// Load appends rows to target inside the session's transaction: below ArrayBindMax
// rows with one INSERT … VALUES (?, …) bound to column arrays, otherwise by writing a
// gzip-compressed CSV file, PUTting it to the session's temporary stage and running
// COPY INTO (PURGE removes the file from the stage). JSON columns of live tables are
// parsed with PARSE_JSON in the COPY transformation; array binding is used for them
// only when the target is a staging table (VARCHAR).
func (d *Dialect) Load(ctx context.Context, s sqlstore.Session, target sqlstore.Target, t warehouse.Table, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	table := d.Table(target.Name)
	if target.Staging && strings.HasPrefix(target.Name, stagingPrefix) {
		table = d.Quote(target.Name) // session-local temporary table
	}
	jsonLive := !(target.Staging && strings.HasPrefix(target.Name, stagingPrefix)) && hasJSON(t)
	if len(rows) < d.arrayBindMax() && len(rows)*len(t.Columns) < maxArrayBinds && !jsonLive {
		return d.arrayInsert(ctx, s, table, t, rows)
	}
	return d.copyInto(ctx, s, table, target.Name, t, rows, jsonLive)
}

func (d *Dialect) arrayBindMax() int {
	if d.ArrayBindMax <= 0 {
		return DefaultArrayBindMax
	}
	return d.ArrayBindMax
}

func hasJSON(t warehouse.Table) bool {
	for _, c := range t.Columns {
		if c.Type == warehouse.JSON {
			return true
		}
	}
	return false
}
