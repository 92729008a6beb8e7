package duckdb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

func mustDecimal(t testing.TB, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	require.NoError(t, err)
	return d
}

// open returns a migrated warehouse in a fresh file, closed at the end of the test.
func open(t testing.TB) *Warehouse {
	t.Helper()
	return openPath(t, filepath.Join(t.TempDir(), "revsync.duckdb"))
}

func openPath(t testing.TB, path string) *Warehouse {
	t.Helper()
	w, err := Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	require.NoError(t, w.Migrate(context.Background()))
	return w
}

// rec parses a record from text fields as a connector would deliver them.
func rec(t testing.TB, e canonical.Entity, source string, fields map[string]string, attrs canonical.Attributes) canonical.Record {
	t.Helper()
	r, err := canonical.Parse(e, source, fields, attrs)
	require.NoError(t, err)
	return r
}

// upsert writes records in one committed transaction.
func upsert(t testing.TB, w warehouse.Warehouse, runID string, recs ...canonical.Record) {
	t.Helper()
	ctx := context.Background()
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback()
	require.NoError(t, tx.Upsert(ctx, runID, recs))
	require.NoError(t, tx.Commit())
}

// scanAll returns every stored record of entity.
func scanAll(t testing.TB, w warehouse.Warehouse, e canonical.Entity) []canonical.Record {
	t.Helper()
	var out []canonical.Record
	require.NoError(t, w.Scan(context.Background(), e, func(r canonical.Record) error {
		out = append(out, r)
		return nil
	}))
	return out
}

// query runs SQL and returns its rows as strings ("NULL" for NULL).
func query(t testing.TB, w warehouse.Warehouse, q string) [][]string {
	t.Helper()
	res, err := w.Query(context.Background(), q)
	require.NoError(t, err)
	out := [][]string{}
	for _, row := range res.Rows {
		r := make([]string, len(row))
		for i, v := range row {
			if v == nil {
				r[i] = "NULL"
			} else {
				r[i] = *v
			}
		}
		out = append(out, r)
	}
	return out
}

// count returns SELECT count(*) of a table.
func count(t testing.TB, w warehouse.Warehouse, table string) string {
	t.Helper()
	return query(t, w, "SELECT count(*) FROM "+table)[0][0]
}

// fixtures returns one record of every entity of source, every field set, all references
// resolved within the set.
func fixtures(t testing.TB, source string) []canonical.Record {
	t.Helper()
	attrs := canonical.Attributes{"tier": "gold", "seats": int64(12), "vip": true}
	return []canonical.Record{
		rec(t, canonical.Customers, source, map[string]string{"external_id": "cus_1", "name": "Ada Ltd", "email": "ada@example.com",
			"company": "Ada", "country": "de", "state": "BE", "city": "Berlin", "created_at": "2024-01-15T10:20:30.123456Z",
			"lead_created_at": "2023-12-01T00:00:00Z", "free_trial_started_at": "2024-01-01"}, attrs),
		rec(t, canonical.Products, source, map[string]string{"external_id": "prod_1", "name": "Pro"}, nil),
		rec(t, canonical.Plans, source, map[string]string{"external_id": "pro-annual", "name": "Pro annual", "interval_unit": "year",
			"interval_count": "1", "product_external_id": "prod_1"}, canonical.Attributes{"price": "99.50"}),
		rec(t, canonical.Subscriptions, source, map[string]string{"external_id": "sub_1", "customer_external_id": "cus_1",
			"plan_external_id": "pro-annual", "status": "active", "started_at": "2024-01-15T00:00:00Z", "trial_ends_at": "2024-01-29T12:00:00Z",
			"cancelled_at": "", "amount": "1234.56", "currency": "eur", "quantity": "3"}, nil),
		rec(t, canonical.Invoices, source, map[string]string{"external_id": "inv_1", "customer_external_id": "cus_1", "date": "2024-01-15",
			"currency": "EUR", "due_date": "2024-02-14", "status": "open"}, nil),
		rec(t, canonical.InvoiceLines, source, map[string]string{"external_id": "li_1", "invoice_external_id": "inv_1", "type": "subscription",
			"subscription_external_id": "sub_1", "plan_external_id": "pro-annual", "service_period_start": "2024-01-15",
			"service_period_end": "2025-01-15", "amount": "1188.0001", "tax_amount": "225.72", "discount_amount": "-0.5",
			"quantity": "2", "prorated": "true", "description": "Pro – annual, \"quoted\""}, canonical.Attributes{"ratio": mustDecimal(t, "0.333333333333333333")}),
		rec(t, canonical.Transactions, source, map[string]string{"external_id": "tr_1", "invoice_external_id": "inv_1", "type": "payment",
			"result": "successful", "date": "2024-01-16", "amount": "1413.72"}, nil),
		rec(t, canonical.CreditNotes, source, map[string]string{"external_id": "cn_1", "invoice_external_id": "inv_1", "customer_external_id": "cus_1",
			"date": "2024-02-01", "amount": "10.00", "currency": "EUR", "reason": "goodwill"}, nil),
		rec(t, canonical.RevenueEntries, source, map[string]string{"external_id": "rev_1", "date": "2024-01-31", "amount": "99999999999999",
			"currency": "JPY", "type": "advertising", "customer_external_id": "cus_1", "source_label": "ads", "note": "n"}, nil),
		rec(t, canonical.Costs, source, map[string]string{"external_id": "cost_1", "name": "AWS", "amount": "0.001", "currency": "BHD",
			"category": "INFRASTRUCTURE", "recurring": "yes", "date": "2024-01-01", "note": ""}, nil),
		rec(t, canonical.FXRates, source, map[string]string{"date": "2024-01-31", "currency": "EUR", "rate": "1.0812345678"}, nil),
	}
}
