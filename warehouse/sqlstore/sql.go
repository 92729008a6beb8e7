package sqlstore

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/shopspring/decimal"
)

// Columns returns t's column names quoted and comma-separated, optionally prefixed by
// an alias ("s." for s.col).
func Columns(d Dialect, t warehouse.Table, prefix string) string {
	parts := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		parts[i] = prefix + d.Quote(c.Name)
	}
	return strings.Join(parts, ", ")
}

// CreateTable returns CREATE TABLE IF NOT EXISTS for live table t with its NOT NULL
// constraints and primary key, named by d.Table.
func CreateTable(d Dialect, t warehouse.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (", d.Table(t.Name))
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Quote(c.Name) + " " + d.ColumnType(c.Type))
		if c.NotNull {
			b.WriteString(" NOT NULL")
		}
	}
	if len(t.Key) > 0 {
		keys := make([]string, len(t.Key))
		for i, k := range t.Key {
			keys[i] = d.Quote(k)
		}
		fmt.Fprintf(&b, ", PRIMARY KEY (%s)", strings.Join(keys, ", "))
	}
	b.WriteString(")")
	return b.String()
}

// StagingColumns returns the column definitions of a staging copy of t: every column,
// nullable, no key.
func StagingColumns(d Dialect, t warehouse.Table) string {
	parts := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		parts[i] = d.Quote(c.Name) + " " + d.ColumnType(c.Type)
	}
	return strings.Join(parts, ", ")
}

// InsertOnConflict returns INSERT … ON CONFLICT (key) DO UPDATE SET every non-key
// column = excluded.column, the upsert of DuckDB and PostgreSQL. Without a key it is a
// plain INSERT.
func InsertOnConflict(d Dialect, t warehouse.Table, from string) string {
	stmt := fmt.Sprintf("INSERT INTO %s (%s) %s", d.Table(t.Name), Columns(d, t, ""), from)
	if len(t.Key) == 0 {
		return stmt
	}
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = d.Quote(k)
	}
	var sets []string
	for _, c := range t.Columns {
		if !t.IsKey(c.Name) {
			sets = append(sets, d.Quote(c.Name)+" = excluded."+d.Quote(c.Name))
		}
	}
	if len(sets) == 0 {
		return stmt + " ON CONFLICT (" + strings.Join(keys, ", ") + ") DO NOTHING"
	}
	return stmt + " ON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
}

// ReplaceContents returns DELETE FROM live; INSERT INTO live SELECT … FROM staging: run
// in one transaction, MVCC readers see the old rows or the new ones, never neither.
func ReplaceContents(d Dialect, t warehouse.Table, staging string) []string {
	cols := Columns(d, t, "")
	return []string{
		"DELETE FROM " + d.Table(t.Name),
		fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", d.Table(t.Name), cols, cols, d.Quote(staging)),
	}
}

// QuoteDouble quotes an identifier with double quotes, doubling embedded ones (ANSI SQL).
func QuoteDouble(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// FormatValue renders a common Go value scanned from a database/sql driver as text:
// integers and floats in decimal notation, decimal.Decimal and *big.Int exactly,
// booleans as true/false, []byte as text, time.Time as YYYY-MM-DD when dbType is DATE
// and as RFC 3339 in UTC otherwise, and anything else as JSON. dbType is
// sql.ColumnType.DatabaseTypeName.
func FormatValue(v any, dbType string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.FormatInt(int64(x), 10), nil
	case int8:
		return strconv.FormatInt(int64(x), 10), nil
	case int16:
		return strconv.FormatInt(int64(x), 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint8:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case *big.Int:
		return x.String(), nil
	case decimal.Decimal:
		return x.String(), nil
	case canonical.Date:
		return x.String(), nil
	case time.Time:
		if strings.EqualFold(dbType, "DATE") {
			return x.Format(time.DateOnly), nil
		}
		return x.UTC().Format(time.RFC3339Nano), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("cannot render a %T value as text: %w", v, err)
	}
	return string(b), nil
}
