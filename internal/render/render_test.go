package render

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/warehouse"
)

func s(v string) *string { return &v }

var sample = &warehouse.Result{
	Columns: []string{"period", "mrr", "note"},
	Numeric: []bool{false, true, false},
	Rows: [][]*string{
		{s("2024-01-01"), s("150.00"), s(`says "hi", twice`)},
		{s("2024-02-01"), s("1234567.89"), nil},
	},
}

func TestWrite_Formats(t *testing.T) {
	tests := []struct {
		format string
		want   string
	}{
		{"table", "period             mrr  note\n" +
			"----------  ----------  ----------------\n" +
			"2024-01-01      150.00  says \"hi\", twice\n" +
			"2024-02-01  1234567.89  NULL\n" +
			"(2 rows)\n"},
		{"csv", "period,mrr,note\n2024-01-01,150.00,\"says \"\"hi\"\", twice\"\n2024-02-01,1234567.89,\n"},
		{"json", "[\n  {\"period\": \"2024-01-01\", \"mrr\": 150.00, \"note\": \"says \\\"hi\\\", twice\"},\n  {\"period\": \"2024-02-01\", \"mrr\": 1234567.89, \"note\": null}\n]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, tc.format, sample))
			assert.Equal(t, tc.want, buf.String())
		})
	}
}

func TestJSON_IsValidAndKeepsDecimalsExact(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, JSON(&buf, sample))
	var rows []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rows))
	assert.Equal(t, "150.00", string(rows[0]["mrr"]))
	var empty bytes.Buffer
	require.NoError(t, JSON(&empty, &warehouse.Result{Columns: []string{"a"}}))
	assert.Equal(t, "[]\n", empty.String())
}

func TestWrite_UnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, "xml", sample)
	require.EqualError(t, err, `unknown format "xml" (use one of: table, csv, json)`)
}
