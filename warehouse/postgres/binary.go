package postgres

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
)

// Binary COPY (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format")
// spares the server the text input functions of NUMERIC, DATE, TIMESTAMPTZ, BIGINT and
// BOOLEAN, the larger part of its per-row CPU after the heap and index inserts. NUMERIC
// is written as base-10000 digits straight from the decimal's digits (no math/big, no
// float): exact, and rounded to the column's scale by the server exactly as text input is.

// binaryHeader starts every binary COPY stream: signature, flags, header extension length.
var binaryHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// binaryTrailer ends a binary COPY stream.
var binaryTrailer = []byte{0xff, 0xff}

// pgEpochDays and pgEpochMicros are 2000-01-01, PostgreSQL's epoch, in days and
// microseconds since 1970-01-01.
const (
	pgEpochDays   = 10957
	pgEpochMicros = int64(pgEpochDays) * 86400 * 1_000_000
)

// binaryCopy reports whether loads into t use binary COPY: canonical tables, whose
// values Tx.Upsert builds with exactly the Go types of their columns. Other tables
// (rejections, result staging) keep the text format, which accepts any value's text.
func binaryCopy(t warehouse.Table) bool {
	for _, e := range canonical.Entities {
		if string(e) == t.Name {
			return true
		}
	}
	return false
}

// binaryEncoder writes rows of neutral values for the columns of one table.
type binaryEncoder struct {
	types   []warehouse.Type
	scratch [32]byte
}

func newBinaryEncoder(t warehouse.Table) *binaryEncoder {
	e := &binaryEncoder{types: make([]warehouse.Type, len(t.Columns))}
	for i, c := range t.Columns {
		e.types[i] = c.Type
	}
	return e
}

func (e *binaryEncoder) appendRows(b *bytes.Buffer, rows [][]any) error {
	for _, row := range rows {
		if len(row) != len(e.types) {
			return fmt.Errorf("a row has %d values for %d columns", len(row), len(e.types))
		}
		b.Write(binary.BigEndian.AppendUint16(e.scratch[:0], uint16(len(row))))
		for i, v := range row {
			if err := e.appendValue(b, v, e.types[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// field writes one field: its length, then its bytes.
func field(b *bytes.Buffer, p []byte) {
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(p)))
	b.Write(l[:])
	b.Write(p)
}

func (e *binaryEncoder) appendValue(b *bytes.Buffer, v any, t warehouse.Type) error {
	if v == nil {
		b.Write([]byte{0xff, 0xff, 0xff, 0xff})
		return nil
	}
	s := e.scratch[:0]
	switch t {
	case warehouse.Text:
		switch x := v.(type) {
		case string:
			b.Write(binary.BigEndian.AppendUint32(s, uint32(len(x))))
			b.WriteString(x)
			return nil
		case []byte:
			field(b, x)
			return nil
		case json.RawMessage:
			field(b, x)
			return nil
		}
	case warehouse.JSON:
		var text []byte
		switch x := v.(type) {
		case json.RawMessage:
			text = x
		case []byte:
			text = x
		case string:
			text = []byte(x)
		default:
			return fmt.Errorf("cannot COPY a %T value into a JSON column", v)
		}
		b.Write(binary.BigEndian.AppendUint32(s, uint32(len(text)+1)))
		b.WriteByte(1) // jsonb binary format version
		b.Write(text)
		return nil
	case warehouse.Date:
		var days int64
		switch x := v.(type) {
		case canonical.Date:
			days = int64(x)
		case time.Time:
			days = int64(canonical.DateOf(x))
		default:
			return fmt.Errorf("cannot COPY a %T value into a DATE column", v)
		}
		s = binary.BigEndian.AppendUint32(s, 4)
		b.Write(binary.BigEndian.AppendUint32(s, uint32(int32(days-pgEpochDays))))
		return nil
	case warehouse.Timestamp:
		x, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("cannot COPY a %T value into a TIMESTAMPTZ column", v)
		}
		s = binary.BigEndian.AppendUint32(s, 8)
		b.Write(binary.BigEndian.AppendUint64(s, uint64(timestampMicros(x))))
		return nil
	case warehouse.Integer:
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case int:
			n = int64(x)
		case int32:
			n = int64(x)
		default:
			return fmt.Errorf("cannot COPY a %T value into a BIGINT column", v)
		}
		s = binary.BigEndian.AppendUint32(s, 8)
		b.Write(binary.BigEndian.AppendUint64(s, uint64(n)))
		return nil
	case warehouse.Boolean:
		x, ok := v.(bool)
		if !ok {
			return fmt.Errorf("cannot COPY a %T value into a BOOLEAN column", v)
		}
		s = binary.BigEndian.AppendUint32(s, 1)
		if x {
			s = append(s, 1)
		} else {
			s = append(s, 0)
		}
		b.Write(s)
		return nil
	case warehouse.Money, warehouse.Rate:
		x, ok := v.(decimal.Decimal)
		if !ok {
			return fmt.Errorf("cannot COPY a %T value into a NUMERIC column", v)
		}
		appendNumeric(b, x)
		return nil
	}
	return fmt.Errorf("cannot COPY a %T value into a column of type %d", v, t)
}

// timestampMicros returns t in microseconds since 2000-01-01 UTC, rounded to the
// nearest microsecond as PostgreSQL rounds text input.
func timestampMicros(t time.Time) int64 {
	sec, ns := t.Unix(), int64(t.Nanosecond())
	return sec*1_000_000 + (ns+500)/1000 - pgEpochMicros
}

// appendNumeric writes d as one binary NUMERIC field: base-10000 digits aligned on the
// decimal point, the weight of the first one, the sign and the display scale.
func appendNumeric(b *bytes.Buffer, d decimal.Decimal) {
	exp := d.Exponent()
	var digitBuf [24]byte
	var digits []byte // decimal digits of |coefficient|, no sign
	neg := d.Sign() < 0
	if d.NumDigits() <= 18 {
		c := d.CoefficientInt64()
		if c < 0 {
			c = -c
		}
		digits = strconv.AppendInt(digitBuf[:0], c, 10)
	} else {
		digits = []byte(d.Coefficient().String())
		if len(digits) > 0 && digits[0] == '-' {
			digits = digits[1:]
		}
	}
	dscale := 0
	if exp < 0 {
		dscale = int(-exp)
	}
	var groups []int16
	var groupBuf [16]int16
	weight := 0
	if !(len(digits) == 1 && digits[0] == '0') {
		intLen := len(digits) + int(exp) // digits before the decimal point
		weight = floorDiv(intLen-1, 4)
		last := floorDiv(int(exp), 4)
		n := weight - last + 1
		if n <= len(groupBuf) {
			groups = groupBuf[:n]
		} else {
			groups = make([]int16, n)
		}
		for i, c := range digits {
			p := intLen - 1 - i // power of ten of this digit
			g := floorDiv(p, 4)
			groups[weight-g] += int16(c-'0') * int16(pow10k[p-4*g])
		}
		for len(groups) > 0 && groups[len(groups)-1] == 0 {
			groups = groups[:len(groups)-1]
		}
	} else {
		neg = false
	}
	var hdr [12]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(8+2*len(groups)))
	binary.BigEndian.PutUint16(hdr[4:], uint16(len(groups)))
	binary.BigEndian.PutUint16(hdr[6:], uint16(int16(weight)))
	if neg {
		binary.BigEndian.PutUint16(hdr[8:], 0x4000)
	}
	binary.BigEndian.PutUint16(hdr[10:], uint16(dscale))
	b.Write(hdr[:])
	var g [2]byte
	for _, v := range groups {
		binary.BigEndian.PutUint16(g[:], uint16(v))
		b.Write(g[:])
	}
}

var pow10k = [4]int{1, 10, 100, 1000}

// floorDiv is a / b rounded toward negative infinity (b > 0).
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
