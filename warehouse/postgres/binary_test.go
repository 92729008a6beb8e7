package postgres

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
)

// decodeField returns the payload of the single binary COPY field in b.
func decodeField(t *testing.T, b []byte) []byte {
	t.Helper()
	require.GreaterOrEqual(t, len(b), 4)
	n := int32(binary.BigEndian.Uint32(b))
	require.Equal(t, int(n), len(b)-4, "field length")
	return b[4:]
}

func TestBinaryNumericIsExact(t *testing.T) {
	m := pgtype.NewMap()
	for _, s := range []string{"0", "0.0000", "1", "-1", "0.5", "-0.0001", "12.3400", "99999999999999.9999", "-99999999999999.9999",
		"0.0000000001", "1.0823456789", "123456789012345678901234567890.5", "1e5", "1.5e-20", "100", "10000", "-10000.0001",
		"9999", "12345678", "0.00012345", "-0.05"} {
		d := decimal.RequireFromString(s)
		var b bytes.Buffer
		appendNumeric(&b, d)
		var n pgtype.Numeric
		require.NoError(t, m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, decodeField(t, b.Bytes()), &n), s)
		got := decimal.NewFromBigInt(n.Int, n.Exp)
		assert.True(t, d.Equal(got), "%s decoded as %s", s, got)
	}
}

func TestBinaryDatesTimestampsAndScalars(t *testing.T) {
	m := pgtype.NewMap()
	enc := newBinaryEncoder(warehouse.Table{})
	for _, day := range []canonical.Date{canonical.NewDate(2024, 2, 29), canonical.NewDate(1969, 12, 31), canonical.NewDate(2000, 1, 1)} {
		var b bytes.Buffer
		require.NoError(t, enc.appendValue(&b, day, warehouse.Date))
		var got pgtype.Date
		require.NoError(t, m.Scan(pgtype.DateOID, pgtype.BinaryFormatCode, decodeField(t, b.Bytes()), &got))
		assert.Equal(t, day.String(), got.Time.Format(time.DateOnly))
	}
	ts := time.Date(2024, 1, 15, 10, 30, 0, 123456000, time.FixedZone("x", 3600))
	var b bytes.Buffer
	require.NoError(t, enc.appendValue(&b, ts, warehouse.Timestamp))
	var got time.Time
	require.NoError(t, m.Scan(pgtype.TimestamptzOID, pgtype.BinaryFormatCode, decodeField(t, b.Bytes()), &got))
	assert.True(t, ts.Equal(got), "%s decoded as %s", ts, got)

	b.Reset()
	require.NoError(t, enc.appendValue(&b, int64(-7), warehouse.Integer))
	var n int64
	require.NoError(t, m.Scan(pgtype.Int8OID, pgtype.BinaryFormatCode, decodeField(t, b.Bytes()), &n))
	assert.Equal(t, int64(-7), n)

	b.Reset()
	require.NoError(t, enc.appendValue(&b, nil, warehouse.Money))
	assert.Equal(t, []byte{0xff, 0xff, 0xff, 0xff}, b.Bytes(), "NULL")

	require.Error(t, enc.appendValue(&b, 3.5, warehouse.Money), "floats are never written")
	require.Error(t, enc.appendValue(&b, "12", warehouse.Integer))
}
