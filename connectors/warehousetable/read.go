package warehousetable

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/shopspring/decimal"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/warehouse/sqlstore"
)

// afterMax, when set (by tests only), runs between reading the cursor's upper bound
// and the read itself.
var afterMax func()

// column is one selected source column and what it becomes.
type column struct {
	source string         // the column's name as the database reports it
	field  string         // canonical field, "" for an attribute
	attr   string         // attribute name, "" for a field
	kind   canonical.Kind // the field's kind (dates render as YYYY-MM-DD)
}

// entityPlan is how one entity is read: the source relation, the selected columns and
// the cursor column.
type entityPlan struct {
	entity   canonical.Entity
	source   string // the connector's source name, for messages
	from     string // SELECT * FROM table, or the configured query
	dialect  string
	cols     []column
	cursor   string // source column name, "" without a cursor
	castType string // SQL type the saved cursor text is cast to
	cursorTZ bool   // the cursor is a timestamp with time zone
}

// plan probes the entity's table or query (LIMIT 0) and resolves its column mapping,
// attributes and cursor against the columns it returns.
func plan(ctx context.Context, db *sql.DB, dialect, source string, e canonical.Entity, es EntitySettings) (*entityPlan, error) {
	p := &entityPlan{entity: e, source: source, from: es.Query, dialect: dialect}
	what := "query"
	if es.Table != "" {
		p.from, what = "SELECT * FROM "+es.Table, "table "+es.Table
	}
	rows, err := db.QueryContext(ctx, "SELECT * FROM ("+p.from+") AS revsync_src LIMIT 0")
	if err != nil {
		return nil, connectors.ConfigError(fmt.Errorf("warehouse source %q: entities.%s: cannot read the %s: %w", source, e, what, err))
	}
	types, err := rows.ColumnTypes()
	rows.Close()
	if err != nil {
		return nil, connectors.ConfigError(fmt.Errorf("warehouse source %q: entities.%s: %w", source, e, err))
	}
	names := make([]string, len(types))
	for i, ct := range types {
		names[i] = ct.Name()
	}
	find := func(name string) int {
		for i, n := range names {
			if n == name {
				return i
			}
		}
		for i, n := range names {
			if strings.EqualFold(n, name) {
				return i
			}
		}
		return -1
	}
	missing := func(key, col string) error {
		return connectors.ConfigError(fmt.Errorf("warehouse source %q: entities.%s.%s: column %q is not in the %s (its columns: %s): fix the name",
			source, e, key, col, what, strings.Join(names, ", ")))
	}
	fields := []canonical.Field{{Name: "external_id"}}
	fields = append(fields, canonical.SchemaOf(e).Fields...)
	for _, f := range fields {
		col, mapped := es.Columns[f.Name]
		if !mapped {
			col = f.Name
		}
		i := find(col)
		if i < 0 {
			if mapped {
				return nil, missing("columns."+f.Name, col)
			}
			if f.Name == "external_id" {
				return nil, connectors.ConfigError(fmt.Errorf("warehouse source %q: entities.%s: no external_id column in the %s (its columns: %s): map one with columns: {external_id: <column>}",
					source, e, what, strings.Join(names, ", ")))
			}
			continue
		}
		p.cols = append(p.cols, column{source: names[i], field: f.Name, kind: f.Kind})
	}
	for _, a := range es.Attributes {
		i := find(a)
		if i < 0 {
			return nil, missing("attributes", a)
		}
		p.cols = append(p.cols, column{source: names[i], attr: a})
	}
	if es.Cursor != "" {
		i := find(es.Cursor)
		if i < 0 {
			return nil, missing("cursor", es.Cursor)
		}
		p.cursor = names[i]
		p.castType, p.cursorTZ = castType(types[i])
	}
	return p, nil
}

// castType returns the SQL type a cursor text is cast to for comparison with a column
// of type ct, and whether it is a timestamp with time zone.
func castType(ct *sql.ColumnType) (string, bool) {
	name := strings.ToUpper(ct.DatabaseTypeName())
	tz := strings.Contains(name, "TZ") || strings.Contains(name, "TIME ZONE")
	switch name {
	case "FIXED": // Snowflake NUMBER
		if p, s, ok := ct.DecimalSize(); ok {
			return fmt.Sprintf("NUMBER(%d,%d)", p, s), false
		}
		return "NUMBER(38,0)", false
	case "TEXT":
		return "VARCHAR", false
	case "REAL":
		return "DOUBLE", false
	}
	return name, tz
}

func (p *entityPlan) placeholder(n int) string {
	if p.dialect == "snowflake" {
		return "?"
	}
	return "$" + strconv.Itoa(n)
}

func (p *entityPlan) cast(n int) string {
	if p.castType == "" {
		return p.placeholder(n)
	}
	return "CAST(" + p.placeholder(n) + " AS " + p.castType + ")"
}

// read emits the entity's rows. With a cursor and a saved value it reads rows with
// cursor >= saved and <= the cursor's maximum read first, ascending, checkpointing after
// every batch; otherwise it reads every row (ascending on the cursor, if any) and
// declares the snapshot complete.
func (p *entityPlan) read(ctx context.Context, db *sql.DB, saved string, batch int, emit connectors.Emitter) error {
	stream := string(p.entity)
	sel := make([]string, len(p.cols))
	for i, c := range p.cols {
		sel[i] = "revsync_src." + sqlstore.QuoteDouble(c.source)
	}
	q := "SELECT " + strings.Join(sel, ", ")
	if p.cursor != "" {
		q += ", revsync_src." + sqlstore.QuoteDouble(p.cursor)
	}
	q += " FROM (" + p.from + ") AS revsync_src"
	var args []any
	full := p.cursor == "" || saved == ""
	if !full {
		hi, err := p.max(ctx, db)
		if err != nil {
			return err
		}
		if hi == "" {
			return nil // the source is empty
		}
		if afterMax != nil {
			afterMax()
		}
		cur := "revsync_src." + sqlstore.QuoteDouble(p.cursor)
		q += fmt.Sprintf(" WHERE %s >= %s AND %s <= %s", cur, p.cast(1), cur, p.cast(2))
		args = []any{saved, hi}
	}
	if p.cursor != "" {
		q += " ORDER BY revsync_src." + sqlstore.QuoteDouble(p.cursor)
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return connectors.TransientError(fmt.Errorf("warehouse source %q: read %s: %w", p.source, p.entity, err))
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return connectors.TransientError(fmt.Errorf("warehouse source %q: read %s: %w", p.source, p.entity, err))
	}
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n, last, checkpointed := 0, "", saved
	for rows.Next() {
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			return connectors.TransientError(fmt.Errorf("warehouse source %q: read %s row %d: %w", p.source, p.entity, n+1, err))
		}
		rec, err := p.record(vals, types, n+1)
		if err != nil {
			if rerr := emit.Reject(ctx, canonical.Rejection{Source: p.source, Entity: p.entity, Reason: err.Error()}); rerr != nil {
				return rerr
			}
		} else if err := emit.Record(ctx, rec); err != nil {
			return err
		}
		n++
		if p.cursor != "" {
			c := vals[len(p.cols)]
			if c != nil {
				if last, err = p.cursorText(c, types[len(p.cols)]); err != nil {
					return connectors.ConfigError(fmt.Errorf("warehouse source %q: %s cursor %s: %w", p.source, p.entity, p.cursor, err))
				}
			}
			if n%batch == 0 && last != "" && last != checkpointed {
				if err := emit.Checkpoint(ctx, stream, last); err != nil {
					return err
				}
				checkpointed = last
			}
		}
	}
	if err := rows.Err(); err != nil {
		return connectors.TransientError(fmt.Errorf("warehouse source %q: read %s: %w", p.source, p.entity, err))
	}
	if last != "" && last != checkpointed {
		if err := emit.Checkpoint(ctx, stream, last); err != nil {
			return err
		}
	}
	if full {
		return emit.SnapshotComplete(ctx, p.entity)
	}
	return nil
}

// max returns the cursor's current maximum as cursor text, "" when there is no row.
func (p *entityPlan) max(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, "SELECT MAX(revsync_src."+sqlstore.QuoteDouble(p.cursor)+") FROM ("+p.from+") AS revsync_src")
	if err != nil {
		return "", connectors.TransientError(fmt.Errorf("warehouse source %q: read the %s cursor's maximum: %w", p.source, p.entity, err))
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return "", connectors.TransientError(err)
	}
	var v any
	if rows.Next() {
		if err := rows.Scan(&v); err != nil {
			return "", connectors.TransientError(fmt.Errorf("warehouse source %q: read the %s cursor's maximum: %w", p.source, p.entity, err))
		}
	}
	if err := rows.Err(); err != nil {
		return "", connectors.TransientError(err)
	}
	if v == nil {
		return "", nil
	}
	return p.cursorText(v, types[0])
}

// cursorText renders a cursor value so that CAST(text AS castType) gives it back:
// timestamps as "YYYY-MM-DD HH:MM:SS.fffffffff" (UTC, "+00:00" for zoned types), dates
// as YYYY-MM-DD, numbers and text as is.
func (p *entityPlan) cursorText(v any, ct *sql.ColumnType) (string, error) {
	if t, ok := v.(time.Time); ok {
		if strings.EqualFold(ct.DatabaseTypeName(), "DATE") {
			return t.Format(time.DateOnly), nil
		}
		if p.cursorTZ {
			return t.UTC().Format("2006-01-02 15:04:05.999999999") + "+00:00", nil
		}
		return t.Format("2006-01-02 15:04:05.999999999"), nil
	}
	return valueText(v, ct, canonical.KindString)
}

// record builds the connector record of one row.
func (p *entityPlan) record(vals []any, types []*sql.ColumnType, rowNum int) (connectors.Record, error) {
	r := connectors.Record{Entity: p.entity, Fields: make(map[string]string, len(p.cols)), Origin: fmt.Sprintf("%s row %d", p.entity, rowNum)}
	for i, c := range p.cols {
		v := vals[i]
		if v == nil {
			continue
		}
		if c.attr != "" {
			a, err := attrValue(v, types[i])
			if err != nil {
				return r, fmt.Errorf("%s row %d: attribute %s: %w", p.entity, rowNum, c.attr, err)
			}
			if r.Attributes == nil {
				r.Attributes = canonical.Attributes{}
			}
			r.Attributes[c.attr] = a
			continue
		}
		s, err := valueText(v, types[i], c.kind)
		if err != nil {
			return r, fmt.Errorf("%s row %d: column %s (field %s): %w", p.entity, rowNum, c.source, c.field, err)
		}
		r.Fields[c.field] = s
	}
	return r, nil
}

// valueText renders a scanned value as canonical.Parse expects it: dates YYYY-MM-DD
// (for date fields and DATE columns), timestamps RFC 3339 in UTC, decimals exactly,
// integers in base 10, booleans true/false, floats in their shortest exact-round-trip
// form, JSON documents as JSON.
func valueText(v any, ct *sql.ColumnType, kind canonical.Kind) (string, error) {
	switch x := v.(type) {
	case time.Time:
		if kind == canonical.KindDate {
			return x.UTC().Format(time.DateOnly), nil
		}
	case duckdb.Decimal:
		if x.Value == nil {
			return "", fmt.Errorf("a DECIMAL without a value")
		}
		return decimal.NewFromBigInt(x.Value, -int32(x.Scale)).StringFixed(int32(x.Scale)), nil
	}
	return sqlstore.FormatValue(v, ct.DatabaseTypeName())
}

// attrValue converts a scanned value into an attribute: text, booleans and integers
// keep their type, decimals become decimal.Decimal (exact), times their text.
func attrValue(v any, ct *sql.ColumnType) (any, error) {
	switch x := v.(type) {
	case string:
		if _, _, ok := ct.DecimalSize(); ok {
			if d, err := decimal.NewFromString(x); err == nil {
				return d, nil
			}
		}
		return x, nil
	case bool:
		return x, nil
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int:
		return int64(x), nil
	case duckdb.Decimal:
		return decimal.NewFromBigInt(x.Value, -int32(x.Scale)), nil
	case decimal.Decimal:
		return x, nil
	}
	return valueText(v, ct, canonical.KindString)
}
