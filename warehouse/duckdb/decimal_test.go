package duckdb

import (
	"strconv"
	"testing"

	"github.com/revsync/revsync/warehouse"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExactDecimal(t *testing.T) {
	cases := []struct {
		in   string
		typ  warehouse.Type
		want string // scaled integer, or an error fragment
	}{
		{"0", warehouse.Money, "0"},
		{"99.5", warehouse.Money, "995000"},
		{"-0.0001", warehouse.Money, "-1"},
		{"1.50000", warehouse.Money, "15000"},
		{"1E+3", warehouse.Money, "10000000"},
		{"99999999999999.9999", warehouse.Money, "999999999999999999"},
		{"-99999999999999.9999", warehouse.Money, "-999999999999999999"},
		{"100000000000000", warehouse.Money, "does not fit DECIMAL(18,4)"},
		{"1.00001", warehouse.Money, "more than 4 decimal places"},
		{"0.1234567891", warehouse.Rate, "1234567891"},
		{"12345678.1234567891", warehouse.Rate, "123456781234567891"},
		{"0.12345678912", warehouse.Rate, "more than 10 decimal places"},
		{"123456789012345678901234.5", warehouse.Money, "does not fit DECIMAL(18,4)"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := exactDecimal(decimal.RequireFromString(tc.in), tc.typ)
			if tc.want[0] == '-' || (tc.want[0] >= '0' && tc.want[0] <= '9') {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got.Value.String())
				assert.Equal(t, uint8(scale(tc.typ)), got.Scale)
				if n, ok := scaledInt64(decimal.RequireFromString(tc.in), tc.typ); ok {
					assert.Equal(t, tc.want, strconv.FormatInt(n, 10), "fast path")
				}
				return
			}
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
