package sqlstore

import (
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/shopspring/decimal"
)

// DecimalScanner is an optional Dialect capability: ScanDecimal converts a scanned
// DECIMAL/NUMERIC value of the driver's own type into an exact decimal.Decimal, sparing
// Scan the rendering to text and parsing back. It reports false for values it does not
// know; Scan then goes through Dialect.Text.
type DecimalScanner interface {
	ScanDecimal(v any) (decimal.Decimal, bool)
}

// rowScanner scans rows of canonical-table columns into reused destinations.
type rowScanner struct {
	vals []any
	ptrs []any
}

func newRowScanner(n int) *rowScanner {
	r := &rowScanner{vals: make([]any, n), ptrs: make([]any, n)}
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r
}

// scan scans the current row; the returned values are valid until the next call.
func (r *rowScanner) scan(rows *sql.Rows) ([]any, error) {
	clear(r.vals)
	if err := rows.Scan(r.ptrs...); err != nil {
		return nil, err
	}
	return r.vals, nil
}

// recordFromValues builds a record of entity from one scanned row of its canonical
// table: vals are the driver's values of cols (recordColumns order: source,
// external_id, the schema fields, attributes) and types their column types. Values are
// converted by column type straight into the record's fields (canonical.FromValues),
// without rendering them as text and parsing them again; only values of a type it does
// not know go through Dialect.Text. Use it for every read of stored records.
func (s *Store) recordFromValues(entity canonical.Entity, cols []warehouse.Column, types []*sql.ColumnType, vals []any) (canonical.Record, error) {
	if len(vals) != len(cols) || len(cols) < 3 {
		return nil, fmt.Errorf("%d values for %d columns", len(vals), len(cols))
	}
	source, err := s.textValue(types[0], vals[0])
	if err != nil {
		return nil, fmt.Errorf("column source: %w", err)
	}
	id, err := s.textValue(types[1], vals[1])
	if err != nil {
		return nil, fmt.Errorf("column external_id: %w", err)
	}
	n := len(cols) - 3 // schema fields between the key and attributes
	var buf [24]any
	fields := buf[:0]
	if n > len(buf) {
		fields = make([]any, 0, n)
	}
	for i := 2; i < 2+n; i++ {
		v, err := s.neutral(cols[i].Type, types[i], vals[i])
		if err != nil {
			return nil, fmt.Errorf("%s '%s': column %s: %w", entity, id, cols[i].Name, err)
		}
		fields = append(fields, v)
	}
	var attrs canonical.Attributes
	if last := len(cols) - 1; vals[last] != nil {
		text, err := s.textValue(types[last], vals[last])
		if err != nil {
			return nil, fmt.Errorf("%s '%s': column attributes: %w", entity, id, err)
		}
		if attrs, err = DecodeAttributes(text); err != nil {
			return nil, fmt.Errorf("%s '%s': %w", entity, id, err)
		}
	}
	return canonical.FromValues(entity, source, id, fields, attrs)
}

// textValue returns a non-NULL scanned value as a string.
func (s *Store) textValue(ct *sql.ColumnType, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case nil:
		return "", fmt.Errorf("NULL where a value is required")
	}
	return s.d.Text(ct, v)
}

// neutral converts one scanned value of a column of logical type t into the Go type
// canonical.FromValues expects (nil stays nil).
func (s *Store) neutral(t warehouse.Type, ct *sql.ColumnType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case warehouse.Text:
		return s.textValue(ct, v)
	case warehouse.Date:
		if x, ok := v.(time.Time); ok {
			return canonical.NewDate(x.Date()), nil
		}
	case warehouse.Timestamp:
		if x, ok := v.(time.Time); ok {
			return x.UTC(), nil
		}
	case warehouse.Money, warehouse.Rate:
		switch x := v.(type) {
		case decimal.Decimal:
			return x, nil
		case string:
			return canonical.ParseAmount(x)
		case []byte:
			return canonical.ParseAmount(string(x))
		}
		if ds, ok := s.d.(DecimalScanner); ok {
			if d, ok := ds.ScanDecimal(v); ok {
				return d, nil
			}
		}
	case warehouse.Integer:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int:
			return int64(x), nil
		}
	case warehouse.Boolean:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	}
	// Anything else: the dialect's exact text, parsed as input would be.
	text, err := s.d.Text(ct, v)
	if err != nil {
		return nil, err
	}
	switch t {
	case warehouse.Date:
		return canonical.ParseDate(text)
	case warehouse.Timestamp:
		return canonical.ParseTimestamp(text)
	case warehouse.Money, warehouse.Rate:
		return canonical.ParseAmount(text)
	case warehouse.Integer:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", text)
		}
		return n, nil
	case warehouse.Boolean:
		return canonical.ParseBool(text)
	}
	return text, nil
}
