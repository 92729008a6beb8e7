package postgres

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
)

func TestAppendDecimalIsExact(t *testing.T) {
	for _, s := range []string{"0", "1", "-1", "0.5", "-0.0001", "12.3400", "99999999999999.9999", "-99999999999999.9999",
		"0.0000000001", "1.0823456789", "123456789012345678901234567890.5", "1e5", "1.5e-20", "100"} {
		d := decimal.RequireFromString(s)
		var b bytes.Buffer
		appendDecimal(&b, d)
		got, err := decimal.NewFromString(b.String())
		require.NoError(t, err, b.String())
		assert.True(t, d.Equal(got), "%s rendered as %s", s, b.String())
	}
	var b bytes.Buffer
	appendDecimal(&b, decimal.RequireFromString("-0.05"))
	assert.Equal(t, "-0.05", b.String())
}

func TestCopyTextEscapes(t *testing.T) {
	ts := time.Date(2024, 1, 15, 10, 30, 0, 123456000, time.FixedZone("x", 3600))
	got, err := copyText([][]any{{nil, "a\tb\nc\\d\re", canonical.NewDate(2024, 2, 29), ts, int64(-7), true, false,
		decimal.RequireFromString("1.50"), json.RawMessage(`{"k":"v\"q"}`)}})
	require.NoError(t, err)
	assert.Equal(t, "\\N\ta\\tb\\nc\\\\d\\re\t2024-02-29\t2024-01-15T09:30:00.123456Z\t-7\tt\tf\t1.50\t{\"k\":\"v\\\\\"q\"}\n", string(got))
	later := ts.Add(time.Microsecond)
	got, err = copyText([][]any{{ts, canonical.NewDate(1969, 12, 31)}, {ts, later}, {later, ts}})
	require.NoError(t, err)
	assert.Equal(t, "2024-01-15T09:30:00.123456Z\t1969-12-31\n2024-01-15T09:30:00.123456Z\t2024-01-15T09:30:00.123457Z\n"+
		"2024-01-15T09:30:00.123457Z\t2024-01-15T09:30:00.123456Z\n", string(got), "repeated timestamps reuse their text")
	_, err = copyText([][]any{{3.5}})
	require.Error(t, err, "floats are never written")
}
