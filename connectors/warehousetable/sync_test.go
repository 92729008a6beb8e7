package warehousetable

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/sync/runner"
	"github.com/revsync/revsync/warehouse/duckdb"
)

// TestSync_DuckDBSourceIntoDuckDBWarehouse runs full syncs through sync/runner.Run from
// a DuckDB billing database into a DuckDB warehouse: mapped columns land exactly, an
// incremental entity picks up changes, a snapshot entity prunes deleted rows, and the
// metrics are published.
func TestSync_DuckDBSourceIntoDuckDBWarehouse(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "billing.duckdb")
	duckExec(t, src,
		`CREATE TABLE accounts (account_id VARCHAR, account_name VARCHAR, country VARCHAR)`,
		`INSERT INTO accounts VALUES ('a1', 'Acme', 'DE'), ('a2', 'Globex', 'US'), ('a3', 'Gone Ltd', 'FR')`,
		`CREATE TABLE plans (id VARCHAR, name VARCHAR, unit VARCHAR)`,
		`INSERT INTO plans VALUES ('pro', 'Pro', 'month')`,
		`CREATE TABLE bills (id VARCHAR, account_id VARCHAR, issued DATE, currency VARCHAR, updated_at TIMESTAMP)`,
		`INSERT INTO bills VALUES ('b1', 'a1', DATE '2024-01-01', 'EUR', TIMESTAMP '2024-01-01 09:00:00'), ('b2', 'a2', DATE '2024-01-05', 'EUR', TIMESTAMP '2024-01-05 09:00:00')`,
		`CREATE TABLE bill_items (id VARCHAR, bill_id VARCHAR, plan_id VARCHAR, net DECIMAL(18,4), starts DATE, ends DATE, updated_at TIMESTAMP)`,
		`INSERT INTO bill_items VALUES ('i1', 'b1', 'pro', 99.9900, DATE '2024-01-01', DATE '2024-02-01', TIMESTAMP '2024-01-01 09:00:00'),
		                               ('i2', 'b2', 'pro', 1234567.8912, DATE '2024-01-05', DATE '2024-02-05', TIMESTAMP '2024-01-05 09:00:00')`)
	settings := &Settings{Dialect: "duckdb", Path: "billing.duckdb", Entities: map[string]EntitySettings{
		"customers": {Table: "accounts", Columns: map[string]string{"external_id": "account_id", "name": "account_name"}},
		"plans":     {Table: "plans", Columns: map[string]string{"external_id": "id", "interval_unit": "unit"}},
		"invoices":  {Table: "bills", Columns: map[string]string{"external_id": "id", "customer_external_id": "account_id", "date": "issued"}, Cursor: "updated_at"},
		"invoice_lines": {Query: `SELECT id AS external_id, bill_id AS invoice_external_id, 'subscription' AS type, 'sub_' || bill_id AS subscription_external_id,
			plan_id AS plan_external_id, net AS amount, starts AS service_period_start, ends AS service_period_end, updated_at FROM bill_items`, Cursor: "updated_at"},
	}}
	require.Empty(t, settings.Validate())
	wh, err := duckdb.Open(context.Background(), filepath.Join(dir, "warehouse.duckdb"))
	require.NoError(t, err)
	t.Cleanup(func() { wh.Close() })
	require.NoError(t, wh.Migrate(context.Background()))
	reg := connectors.NewRegistry()
	reg.Register(Connector{})
	opts := runner.Options{
		Config: &config.Config{Dir: dir, File: filepath.Join(dir, "revsync.yaml"), Metrics: config.Metrics{ReportingCurrency: "EUR", SubscriptionEnd: "service_period"},
			Sources: []config.Source{{Name: "billing", Type: Type, Settings: settings}}},
		Registry: reg, Warehouse: wh, AsOf: canonical.NewDate(2024, 1, 31), RetryDelay: time.Millisecond,
	}
	q := func(sql string) []string {
		res, err := wh.Query(context.Background(), sql)
		require.NoError(t, err)
		var out []string
		for _, row := range res.Rows {
			s := ""
			for i, v := range row {
				if i > 0 {
					s += "|"
				}
				if v != nil {
					s += *v
				}
			}
			out = append(out, s)
		}
		return out
	}

	sum, err := runner.Run(context.Background(), opts)
	require.NoError(t, err)
	read, written, rejected, _ := sum.Totals()
	assert.Equal(t, []int64{8, 8, 0}, []int64{read, written, rejected})
	assert.Equal(t, []string{"a1|Acme", "a2|Globex", "a3|Gone Ltd"}, q("SELECT external_id, name FROM customers ORDER BY 1"))
	assert.Equal(t, []string{"i1|99.9900|b1", "i2|1234567.8912|b2"}, q("SELECT external_id, amount, invoice_external_id FROM invoice_lines ORDER BY 1"))
	assert.Equal(t, []string{"b1|2024-01-01|EUR", "b2|2024-01-05|EUR"}, q("SELECT external_id, date, currency FROM invoices ORDER BY 1"))
	assert.Equal(t, []string{"invoice_lines|2024-01-05 09:00:00", "invoices|2024-01-05 09:00:00"}, q("SELECT stream, cursor FROM sync_state ORDER BY 1"))
	assert.NotEmpty(t, q("SELECT * FROM metrics_monthly"), "metrics published")

	// Changes: a customer deleted (snapshot entity: pruned), a new invoice with its line
	// (incremental entities: read from the saved cursor).
	duckExec(t, src, `DELETE FROM accounts WHERE account_id = 'a3'`,
		`INSERT INTO bills VALUES ('b3', 'a1', DATE '2024-01-20', 'EUR', TIMESTAMP '2024-01-20 09:00:00')`,
		`INSERT INTO bill_items VALUES ('i3', 'b3', 'pro', 10.0000, DATE '2024-01-20', DATE '2024-02-20', TIMESTAMP '2024-01-20 09:00:00')`)
	sum, err = runner.Run(context.Background(), opts)
	require.NoError(t, err)
	read, _, rejected, deleted := sum.Totals()
	assert.Equal(t, int64(0), rejected)
	assert.Equal(t, int64(1), deleted, "the deleted customer is pruned")
	assert.Equal(t, int64(2+1+2+2), read, "customers and plans whole, invoices and lines from the cursor on (>=: the boundary rows again)")
	assert.Equal(t, []string{"a1", "a2"}, q("SELECT external_id FROM customers ORDER BY 1"))
	assert.Equal(t, []string{"b1", "b2", "b3"}, q("SELECT external_id FROM invoices ORDER BY 1"), "incremental entities are not pruned")
	assert.Equal(t, []string{"invoice_lines|2024-01-20 09:00:00", "invoices|2024-01-20 09:00:00"}, q("SELECT stream, cursor FROM sync_state ORDER BY 1"))
}
