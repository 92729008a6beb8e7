package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/internal/pgtest"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/postgres"
	"github.com/revsync/revsync/warehouse/warehousetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open returns a warehouse in a fresh schema of the test server, dropped after the test.
func open(t testing.TB) *postgres.Warehouse {
	t.Helper()
	dsn, schema := pgtest.DSN(t), pgtest.Schema(t)
	w, err := postgres.Open(context.Background(), dsn, schema)
	require.NoError(t, err)
	return w
}

func TestConformance(t *testing.T) {
	warehousetest.Run(t, func(t *testing.T) warehouse.Warehouse { return open(t) })
}

func TestOpenCreatesTheSchemaAndQuotesIt(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t) + `_Mixed "Case"`
	w, err := postgres.Open(ctx, dsn, schema)
	require.NoError(t, err)
	defer w.Close()
	defer func() { // before Close (defers run last-in first-out)
		_, err := w.DB().Exec(`DROP SCHEMA IF EXISTS "` + strings.ReplaceAll(schema, `"`, `""`) + `" CASCADE`)
		assert.NoError(t, err)
	}()
	require.NoError(t, w.Migrate(ctx))
	var n int
	require.NoError(t, w.DB().QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", schema).Scan(&n))
	assert.Equal(t, len(warehouse.CanonicalTables())+len(warehouse.SystemTables())+len(warehouse.ResultTables()), n)
	// a second Open of an existing schema works
	w2, err := postgres.Open(ctx, dsn, schema)
	require.NoError(t, err)
	require.NoError(t, w2.Migrate(ctx))
	require.NoError(t, w2.Close())
}

func TestColumnTypes(t *testing.T) {
	ctx := context.Background()
	w := open(t)
	defer w.Close()
	require.NoError(t, w.Migrate(ctx))
	want := map[string]string{
		"invoice_lines.amount":         "numeric(18,4)",
		"fx_rates.rate":                "numeric(18,10)",
		"invoices.date":                "date",
		"customers.created_at":         "timestamp with time zone",
		"customers.attributes":         "jsonb",
		"invoice_lines.quantity":       "bigint",
		"invoice_lines.prorated":       "boolean",
		"metrics_monthly.nrr":          "numeric(18,10)",
		"metrics_monthly.is_partial":   "boolean",
		"sync_runs.started_at":         "timestamp with time zone",
		"customers.external_id":        "text",
		"rejected_records.rejected_at": "timestamp with time zone",
	}
	for col, typ := range want {
		var got string
		table, column, _ := cut(col)
		require.NoError(t, w.DB().QueryRowContext(ctx, `SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
			WHERE a.attrelid = format('%I.%I', $1::text, $2::text)::regclass AND a.attname = $3`, w.Schema(), table, column).Scan(&got), col)
		assert.Equal(t, typ, got, col)
	}
}

func TestTextIsByteOrdered(t *testing.T) {
	ctx := context.Background()
	w := open(t)
	defer w.Close()
	require.NoError(t, w.Migrate(ctx))
	var collation string
	require.NoError(t, w.DB().QueryRowContext(ctx, `SELECT collation_name FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'customers' AND column_name = 'external_id'`, w.Schema()).Scan(&collation))
	assert.Equal(t, "C", collation)
}

func cut(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func TestBadDSNDoesNotLeakThePassword(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://revsync:s3cret-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", "x")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret-pw")
	assert.Contains(t, err.Error(), "127.0.0.1")
}

func dsnOf(t *testing.T) string { return pgtest.DSN(t) }

func decimalOf(n int64) decimal.Decimal { return decimal.NewFromInt(n) }
