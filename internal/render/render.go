// Package render prints query results for people (aligned tables) and for machines
// (CSV with a header row and NULL as an empty cell; JSON with numbers unquoted and NULL
// as null). It formats only: values arrive as exact text from the warehouse.
package render

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/revsync/revsync/warehouse"
)

// Formats lists the accepted --format values.
var Formats = []string{"table", "csv", "json"}

// Write prints r to w in format (table, csv or json).
func Write(w io.Writer, format string, r *warehouse.Result) error {
	switch format {
	case "table":
		return Table(w, r)
	case "csv":
		return CSV(w, r)
	case "json":
		return JSON(w, r)
	}
	return fmt.Errorf("unknown format %q (use one of: %s)", format, strings.Join(Formats, ", "))
}

// Table prints an aligned table; numbers are right-aligned and NULL shows as NULL.
func Table(w io.Writer, r *warehouse.Result) error {
	widths := make([]int, len(r.Columns))
	for i, c := range r.Columns {
		widths[i] = utf8.RuneCountInString(c)
	}
	cell := func(v *string) string {
		if v == nil {
			return "NULL"
		}
		return *v
	}
	for _, row := range r.Rows {
		for i, v := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell(v)))
		}
	}
	var b strings.Builder
	line := func(values []string) {
		for i, v := range values {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(v))
			if i < len(r.Numeric) && r.Numeric[i] {
				b.WriteString(pad + v)
			} else if i == len(values)-1 {
				b.WriteString(v)
			} else {
				b.WriteString(v + pad)
			}
		}
		b.WriteString("\n")
	}
	line(r.Columns)
	rule := make([]string, len(widths))
	for i, n := range widths {
		rule[i] = strings.Repeat("-", n)
	}
	line(rule)
	for _, row := range r.Rows {
		values := make([]string, len(row))
		for i, v := range row {
			values[i] = cell(v)
		}
		line(values)
	}
	fmt.Fprintf(&b, "(%d rows)\n", len(r.Rows))
	_, err := io.WriteString(w, b.String())
	return err
}

// CSV prints RFC 4180 CSV with a header row; NULL is an empty cell.
func CSV(w io.Writer, r *warehouse.Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Columns); err != nil {
		return err
	}
	record := make([]string, len(r.Columns))
	for _, row := range r.Rows {
		for i, v := range row {
			record[i] = ""
			if v != nil {
				record[i] = *v
			}
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// JSON prints an array of objects keyed by column name. Numeric columns are written as
// JSON numbers with their exact decimal text (no float conversion); NULL is null.
func JSON(w io.Writer, r *warehouse.Result) error {
	var b strings.Builder
	b.WriteString("[")
	for ri, row := range r.Rows {
		if ri > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  {")
		for i, v := range row {
			if i > 0 {
				b.WriteString(", ")
			}
			key, _ := json.Marshal(r.Columns[i])
			b.Write(key)
			b.WriteString(": ")
			switch {
			case v == nil:
				b.WriteString("null")
			case i < len(r.Numeric) && r.Numeric[i] && json.Valid([]byte(*v)):
				b.WriteString(*v)
			default:
				s, _ := json.Marshal(*v)
				b.Write(s)
			}
		}
		b.WriteString("}")
	}
	if len(r.Rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := io.WriteString(w, b.String())
	return err
}
