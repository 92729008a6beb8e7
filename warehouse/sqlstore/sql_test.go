package sqlstore

import (
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ansi is a minimal dialect for testing the generated SQL text; its database methods
// are never called.
type ansi struct{ Dialect }

func (ansi) Quote(s string) string { return QuoteDouble(s) }
func (ansi) Table(s string) string { return `"rs".` + QuoteDouble(s) }
func (ansi) ColumnType(t warehouse.Type) string {
	return map[warehouse.Type]string{warehouse.Text: "TEXT", warehouse.Money: "DECIMAL(18,4)", warehouse.Timestamp: "TIMESTAMP",
		warehouse.Integer: "BIGINT"}[t]
}

var small = warehouse.Table{Name: "sync_state", Key: []string{"source", "stream"}, Columns: []warehouse.Column{
	{Name: "source", Type: warehouse.Text, NotNull: true}, {Name: "stream", Type: warehouse.Text, NotNull: true},
	{Name: `we"ird`, Type: warehouse.Money}, {Name: "updated_at", Type: warehouse.Timestamp, NotNull: true},
}}

func TestSQL_GeneratedStatements(t *testing.T) {
	d := ansi{}
	cases := []struct{ name, got, want string }{
		{"create table with key and quoting", CreateTable(d, small),
			`CREATE TABLE IF NOT EXISTS "rs"."sync_state" ("source" TEXT NOT NULL, "stream" TEXT NOT NULL, "we""ird" DECIMAL(18,4), "updated_at" TIMESTAMP NOT NULL, PRIMARY KEY ("source", "stream"))`},
		{"staging columns are nullable", StagingColumns(d, small),
			`"source" TEXT, "stream" TEXT, "we""ird" DECIMAL(18,4), "updated_at" TIMESTAMP`},
		{"upsert updates non-key columns", InsertOnConflict(d, small, "SELECT * FROM s"),
			`INSERT INTO "rs"."sync_state" ("source", "stream", "we""ird", "updated_at") SELECT * FROM s ON CONFLICT ("source", "stream") DO UPDATE SET "we""ird" = excluded."we""ird", "updated_at" = excluded."updated_at"`},
		{"upsert without key is an insert", InsertOnConflict(d, warehouse.Table{Name: "x", Columns: small.Columns[:1]}, "VALUES ($1)"),
			`INSERT INTO "rs"."x" ("source") VALUES ($1)`},
		{"upsert with only key columns", InsertOnConflict(d, warehouse.Table{Name: "x", Key: []string{"source"}, Columns: small.Columns[:1]}, "VALUES ($1)"),
			`INSERT INTO "rs"."x" ("source") VALUES ($1) ON CONFLICT ("source") DO NOTHING`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.got) })
	}
	assert.Equal(t, []string{`DELETE FROM "rs"."sync_state"`,
		`INSERT INTO "rs"."sync_state" ("source", "stream", "we""ird", "updated_at") SELECT "source", "stream", "we""ird", "updated_at" FROM "stage"`},
		ReplaceContents(d, small, "stage"))
}

func TestMigrations_EndAtTheCurrentSchemaVersionAndCreateEveryTable(t *testing.T) {
	require.Equal(t, warehouse.SchemaVersion, migrations[len(migrations)-1].version)
	for i, m := range migrations {
		assert.Equal(t, i+1, m.version, "versions are consecutive")
	}
	stmts := createAllTables(ansi{})
	assert.Len(t, stmts, len(warehouse.SystemTables())+len(warehouse.CanonicalTables())+len(warehouse.ResultTables()))
}

func TestAttributes_RoundTripExactly(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC)
	in := canonical.Attributes{"s": "x", "b": true, "i": int64(9007199254740993), "d": decimal.RequireFromString("0.1000000000000000000001"),
		"f": 1.5, "t": at, "n": nil}
	raw, err := EncodeAttributes(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"b":true,"d":0.1000000000000000000001,"f":1.5,"i":9007199254740993,"n":null,"s":"x","t":"2024-01-02T03:04:05.0000006Z"}`, string(raw))
	out, err := DecodeAttributes(string(raw))
	require.NoError(t, err)
	assert.Equal(t, "x", out["s"])
	assert.Equal(t, true, out["b"])
	assert.Equal(t, int64(9007199254740993), out["i"])
	assert.True(t, decimal.RequireFromString("0.1000000000000000000001").Equal(out["d"].(decimal.Decimal)))
	assert.True(t, decimal.RequireFromString("1.5").Equal(out["f"].(decimal.Decimal)))
	assert.Equal(t, "2024-01-02T03:04:05.0000006Z", out["t"])
	assert.Nil(t, out["n"])

	none, err := EncodeAttributes(nil)
	require.NoError(t, err)
	assert.Nil(t, none)
	back, err := DecodeAttributes("{}")
	require.NoError(t, err)
	assert.Nil(t, back)
	_, err = DecodeAttributes("[1]")
	assert.ErrorContains(t, err, "not a JSON object")
}

func TestFormatValue(t *testing.T) {
	ts := time.Date(2024, 2, 29, 23, 59, 58, 123000000, time.FixedZone("x", 3600))
	cases := []struct {
		v      any
		dbType string
		want   string
	}{
		{"text", "VARCHAR", "text"},
		{[]byte("bytes"), "BLOB", "bytes"},
		{int32(-7), "INTEGER", "-7"},
		{uint64(18446744073709551615), "UBIGINT", "18446744073709551615"},
		{0.1, "DOUBLE", "0.1"},
		{new(big.Int).Lsh(big.NewInt(1), 100), "HUGEINT", "1267650600228229401496703205376"},
		{decimal.RequireFromString("-12.50"), "DECIMAL(18,4)", "-12.5"},
		{ts, "DATE", "2024-02-29"},
		{ts, "TIMESTAMP", "2024-02-29T22:59:58.123Z"},
		{false, "BOOLEAN", "false"},
		{canonical.NewDate(2024, 1, 31), "", "2024-01-31"},
		{[]any{1, "a"}, "LIST", `[1,"a"]`},
	}
	for _, tc := range cases {
		got, err := FormatValue(tc.v, tc.dbType)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%T %v", tc.v, tc.v)
	}
}

func TestNeutral_ChecksResultValues(t *testing.T) {
	d := decimal.RequireFromString("1.25")
	day := canonical.NewDate(2024, 1, 1)
	ok := []struct {
		v    any
		typ  warehouse.Type
		want any
	}{
		{"a", warehouse.Text, "a"},
		{day, warehouse.Date, day},
		{day.Time(), warehouse.Date, day},
		{&day, warehouse.Date, day},
		{(*canonical.Date)(nil), warehouse.Date, nil},
		{d, warehouse.Money, d},
		{&d, warehouse.Rate, d},
		{7, warehouse.Integer, int64(7)},
		{true, warehouse.Boolean, true},
		{`{"a":1}`, warehouse.JSON, json.RawMessage(`{"a":1}`)},
		{nil, warehouse.Money, nil},
	}
	for _, tc := range ok {
		got, err := neutral(tc.v, tc.typ)
		require.NoError(t, err, "%T", tc.v)
		assert.Equal(t, tc.want, got)
	}
	bad := []struct {
		v   any
		typ warehouse.Type
	}{
		{1.5, warehouse.Money}, {"1.5", warehouse.Money}, {int64(1), warehouse.Text}, {"x", warehouse.Date}, {"{", warehouse.JSON},
	}
	for _, tc := range bad {
		_, err := neutral(tc.v, tc.typ)
		assert.ErrorContains(t, err, "does not fit", "%T %v", tc.v, tc.v)
	}
}
