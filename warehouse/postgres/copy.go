package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/sqlstore"
)

// copyText renders rows of neutral values in COPY's text format: tab-separated, \N for
// NULL, backslash escapes. Decimals go as their exact decimal text (no float, and much
// cheaper to produce than binary NUMERIC), dates as YYYY-MM-DD, timestamps as RFC 3339.
func copyText(rows [][]any) ([]byte, error) {
	var b bytes.Buffer
	if err := appendRows(&b, rows); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// appendRows appends rows to b in COPY's text format (see copyText).
func appendRows(b *bytes.Buffer, rows [][]any) error {
	var enc textEncoder
	return enc.appendRows(b, rows)
}

// textEncoder writes COPY text; it remembers the last timestamp it formatted, as every
// row of a load carries the same synced_at.
type textEncoder struct {
	lastTime time.Time
	lastText []byte
}

func (e *textEncoder) appendRows(b *bytes.Buffer, rows [][]any) error {
	for _, row := range rows {
		for j, v := range row {
			if j > 0 {
				b.WriteByte('\t')
			}
			if err := e.appendText(b, v); err != nil {
				return err
			}
		}
		b.WriteByte('\n')
	}
	return nil
}

func (e *textEncoder) appendText(b *bytes.Buffer, v any) error {
	var scratch [64]byte
	switch x := v.(type) {
	case nil:
		b.WriteString(`\N`)
	case string:
		escape(b, x)
	case json.RawMessage:
		escape(b, string(x))
	case []byte:
		escape(b, string(x))
	case decimal.Decimal:
		appendDecimal(b, x)
	case canonical.Date:
		b.Write(x.Append(scratch[:0]))
	case time.Time:
		if e.lastText == nil || !x.Equal(e.lastTime) {
			e.lastTime, e.lastText = x, x.UTC().AppendFormat(e.lastText[:0], time.RFC3339Nano)
		}
		b.Write(e.lastText)
	case int64:
		b.Write(strconv.AppendInt(scratch[:0], x, 10))
	case int:
		b.Write(strconv.AppendInt(scratch[:0], int64(x), 10))
	case bool:
		if x {
			b.WriteByte('t')
		} else {
			b.WriteByte('f')
		}
	default:
		return fmt.Errorf("cannot COPY a %T value", v)
	}
	return nil
}

// appendDecimal writes d exactly; coefficients of up to 18 digits (every NUMERIC(18,s)
// value) are formatted without allocating, others through Decimal.String.
func appendDecimal(b *bytes.Buffer, d decimal.Decimal) {
	exp := d.Exponent()
	if d.NumDigits() > 18 || exp > 0 || exp < -18 {
		b.WriteString(d.String())
		return
	}
	c := d.CoefficientInt64()
	if c < 0 {
		b.WriteByte('-')
		c = -c
	}
	var scratch [24]byte
	digits := strconv.AppendInt(scratch[:0], c, 10)
	frac := int(-exp)
	if frac == 0 {
		b.Write(digits)
		return
	}
	if len(digits) <= frac {
		b.WriteString("0.")
		for range frac - len(digits) {
			b.WriteByte('0')
		}
		b.Write(digits)
		return
	}
	b.Write(digits[:len(digits)-frac])
	b.WriteByte('.')
	b.Write(digits[len(digits)-frac:])
}

// escape writes s with COPY text escapes for backslash, tab, newline and carriage return.
func escape(b *bytes.Buffer, s string) {
	clean := 0
	for clean < len(s) {
		if c := s[clean]; c == '\\' || c == '\t' || c == '\n' || c == '\r' {
			break
		}
		clean++
	}
	b.WriteString(s[:clean])
	for i := clean; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
}

// copyChunk is how many rows copyInto encodes per write: the encoder runs concurrently
// with the network send and the server's COPY, one chunk ahead.
const copyChunk = 2000

// copyInto runs COPY table (columns) FROM STDIN with rows on the session's connection,
// encoding rows while earlier ones are sent and loaded.
func (d *Dialect) copyInto(ctx context.Context, s sqlstore.Session, table string, t warehouse.Table, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	stmt := fmt.Sprintf("COPY %s (%s) FROM STDIN", table, sqlstore.Columns(d, t, ""))
	var enc interface {
		appendRows(b *bytes.Buffer, rows [][]any) error
	} = &textEncoder{}
	bin := binaryCopy(t)
	if bin {
		stmt += " (FORMAT binary)"
		enc = newBinaryEncoder(t)
	}
	pr, pw := io.Pipe()
	encoded := make(chan error, 1)
	go func() {
		var err error
		var buf bytes.Buffer // reused: a pipe Write returns only once the reader took it all
		if bin {
			buf.Write(binaryHeader)
		}
		for start := 0; start < len(rows) && err == nil; start += copyChunk {
			if err = enc.appendRows(&buf, rows[start:min(start+copyChunk, len(rows))]); err == nil {
				if bin && start+copyChunk >= len(rows) {
					buf.Write(binaryTrailer)
				}
				_, err = pw.Write(buf.Bytes())
			}
			buf.Reset()
		}
		pw.CloseWithError(err)
		encoded <- err
	}()
	err := s.Conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errNotPgx
		}
		tag, err := c.Conn().PgConn().CopyFrom(ctx, pr, stmt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != int64(len(rows)) {
			return fmt.Errorf("COPY into %s wrote %d of %d rows", table, tag.RowsAffected(), len(rows))
		}
		return nil
	})
	pr.CloseWithError(io.ErrClosedPipe) // unblock the encoder if COPY stopped early
	if encErr := <-encoded; encErr != nil && !errors.Is(encErr, io.ErrClosedPipe) && err == nil {
		err = encErr
	}
	return err
}

// TryInsert COPYs rows straight into the live table under a savepoint. A unique-key
// violation (a key already stored) rolls back to the savepoint and reports false so the
// rows are merged through staging instead; the violation is found at the first stored
// key, so a re-sync of known records wastes almost nothing, and a first load of new
// records does half the work of staging + merge.
func (d *Dialect) TryInsert(ctx context.Context, s sqlstore.Session, t warehouse.Table, rows [][]any) (bool, error) {
	if len(t.Key) == 0 {
		return false, nil
	}
	if _, err := s.Tx.ExecContext(ctx, "SAVEPOINT revsync_direct"); err != nil {
		return false, err
	}
	err := d.copyInto(ctx, s, d.Table(t.Name), t, rows)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		_, err = s.Tx.ExecContext(ctx, "RELEASE SAVEPOINT revsync_direct")
		return err == nil, err
	case errors.As(err, &pgErr) && pgErr.Code == "23505": // unique_violation
		if _, rerr := s.Tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT revsync_direct"); rerr != nil {
			return false, rerr
		}
		_, rerr := s.Tx.ExecContext(ctx, "RELEASE SAVEPOINT revsync_direct")
		return false, rerr
	default:
		return false, err
	}
}
