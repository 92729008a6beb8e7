package snowflake

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/sqlstore"
)

// fileFormat is the CSV dialect of the uploaded files: every non-NULL value is quoted
// (a quote doubled inside), and NULL is an empty unquoted field, so an empty string
// ("") and NULL stay distinct.
const fileFormat = `FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = ',' FIELD_OPTIONALLY_ENCLOSED_BY = '"' ` +
	`EMPTY_FIELD_AS_NULL = TRUE NULL_IF = () ESCAPE_UNENCLOSED_FIELD = NONE COMPRESSION = GZIP ENCODING = 'UTF8')`

// arrayInsert runs one INSERT … VALUES (?, …) with one array argument per column (the
// driver's array binding: one round trip, values sent as text, cast by the column
// types).
func (d *Dialect) arrayInsert(ctx context.Context, s sqlstore.Session, table string, t warehouse.Table, rows [][]any) error {
	cols := make([][]any, len(t.Columns))
	for i := range cols {
		cols[i] = make([]any, len(rows))
	}
	for r, row := range rows {
		if len(row) != len(t.Columns) {
			return fmt.Errorf("row %d has %d values for %d columns of %s", r, len(row), len(t.Columns), t.Name)
		}
		for i, v := range row {
			if v == nil {
				continue
			}
			s, err := text(v)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name, t.Columns[i].Name, err)
			}
			cols[i][r] = s
		}
	}
	args := make([]any, len(cols))
	for i, c := range cols {
		args[i] = sf.Array(c)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, sqlstore.Columns(d, t, ""), marks)
	if _, err := s.Tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("array insert of %d rows: %w", len(rows), err)
	}
	return nil
}

// copyInto writes rows as a gzip-compressed CSV file, PUTs it to the session's stage
// under a path of its own, and COPYs it into table. FORCE makes COPY ignore load
// history (file names repeat across sessions); PURGE deletes the staged file after a
// successful load.
func (d *Dialect) copyInto(ctx context.Context, s sqlstore.Session, table, name string, t warehouse.Table, rows [][]any, parseJSON bool) error {
	f, err := os.CreateTemp(d.TempDir, "revsync-*.csv.gz")
	if err != nil {
		return fmt.Errorf("create the file to upload: %w", err)
	}
	path := f.Name()
	defer os.Remove(path)
	if err := WriteCSV(f, t, rows); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	dir := fmt.Sprintf("%s/%d", strings.ToLower(name), d.seq.Add(1))
	put := fmt.Sprintf("PUT '%s' @%s/%s AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE PARALLEL = 4",
		fileURL(path), d.Quote(loadStage), dir)
	if _, err := s.Tx.ExecContext(ctx, put); err != nil {
		return fmt.Errorf("PUT %d rows: %w", len(rows), err)
	}
	exprs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		exprs[i] = fmt.Sprintf("$%d", i+1)
		if parseJSON && c.Type == warehouse.JSON {
			exprs[i] = fmt.Sprintf("PARSE_JSON($%d)", i+1)
		}
	}
	cp := fmt.Sprintf("COPY INTO %s (%s) FROM (SELECT %s FROM @%s/%s/) %s ON_ERROR = ABORT_STATEMENT FORCE = TRUE PURGE = TRUE",
		table, sqlstore.Columns(d, t, ""), strings.Join(exprs, ", "), d.Quote(loadStage), dir, fileFormat)
	if _, err := s.Tx.ExecContext(ctx, cp); err != nil {
		return fmt.Errorf("COPY INTO %s: %w", table, err)
	}
	return nil
}

// fileURL returns the file:// URL of path for PUT, with quotes escaped.
func fileURL(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return "file://" + strings.ReplaceAll(p, "'", "\\'")
}

// WriteCSV writes rows (neutral values in t's column order) gzip-compressed to w in
// the upload format: every non-NULL value quoted, quotes doubled, NULL an empty
// unquoted field, one line per row.
func WriteCSV(w io.Writer, t warehouse.Table, rows [][]any) error {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriterSize(zw, 64<<10)
	for r, row := range rows {
		if len(row) != len(t.Columns) {
			return fmt.Errorf("row %d has %d values for %d columns of %s", r, len(row), len(t.Columns), t.Name)
		}
		for i, v := range row {
			if i > 0 {
				bw.WriteByte(',')
			}
			if v == nil {
				continue
			}
			s, err := text(v)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name, t.Columns[i].Name, err)
			}
			bw.WriteByte('"')
			bw.WriteString(strings.ReplaceAll(s, `"`, `""`))
			bw.WriteByte('"')
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}
