// Package warehousetest is the one conformance suite every warehouse dialect runs
// (DuckDB, PostgreSQL, Snowflake when credentials are set): schema creation and migration,
// upserts, state-with-data atomicity, pruning, unresolved references, rejections, the
// round trip of every field kind, atomic publication under a concurrent reader, and query
// rendering. It tests behaviour through the warehouse.Warehouse interface only; it must not
// know any dialect.
package warehousetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
)

// Opener returns a new, empty warehouse for one test (it may or may not be migrated
// yet). The suite closes it when the test ends; schemas or files are the opener's to
// clean up.
type Opener func(t *testing.T) warehouse.Warehouse

// Run runs the whole suite against the warehouses open returns.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, warehouse.Warehouse)
	}{
		{"MigrateCreatesEveryTableAndIsIdempotent", testMigrate},
		{"UpsertIsIdempotentAndUpdates", testUpsert},
		{"UpsertDeduplicatesWithinABatch", testDedupe},
		{"StateCommitsWithItsRecords", testStateAtomicity},
		{"DeleteRemovesRecords", testDelete},
		{"PruneDeletesWhatTheRunDidNotWrite", testPrune},
		{"UnresolvedReferencesCascadeIntoRejections", testUnresolved},
		{"RejectStoresRejectedRecords", testReject},
		{"ScanRoundTripsEveryEntityAndFieldKind", testScanRoundTrip},
		{"SaveRunInsertsThenUpdates", testSaveRun},
		{"PublishIsAtomicUnderAConcurrentReader", testPublishAtomic},
		{"FailedPublishKeepsThePreviousResult", testPublishFailure},
		{"PublishWritesEveryValueKind", testPublishValues},
		{"QueryRendersValuesAsText", testQuery},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := open(t)
			t.Cleanup(func() { _ = w.Close() })
			require.NoError(t, w.Migrate(context.Background()), "migrating a new warehouse")
			tc.fn(t, w)
		})
	}
}

// scalar runs a query returning one value and returns it as text ("" for NULL).
func scalar(t *testing.T, w warehouse.Warehouse, sql string) string {
	t.Helper()
	res, err := w.Query(context.Background(), sql)
	require.NoError(t, err, sql)
	require.Len(t, res.Rows, 1, sql)
	require.Len(t, res.Rows[0], 1, sql)
	if res.Rows[0][0] == nil {
		return ""
	}
	return *res.Rows[0][0]
}

func count(t *testing.T, w warehouse.Warehouse, table string) int {
	t.Helper()
	n, err := strconv.Atoi(scalar(t, w, "SELECT count(*) FROM "+table))
	require.NoError(t, err)
	return n
}

func write(t *testing.T, w warehouse.Warehouse, runID string, records ...canonical.Record) {
	t.Helper()
	ctx := context.Background()
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	require.NoError(t, tx.Upsert(ctx, runID, records))
	require.NoError(t, tx.Commit())
}

func scanAll(t *testing.T, w warehouse.Warehouse, e canonical.Entity) []canonical.Record {
	t.Helper()
	var out []canonical.Record
	require.NoError(t, w.Scan(context.Background(), e, func(r canonical.Record) error {
		out = append(out, r)
		return nil
	}))
	return out
}

func ids(records []canonical.Record) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = r.Key().Source + "/" + r.Key().ExternalID
	}
	return out
}

func testMigrate(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	require.NoError(t, w.Migrate(ctx), "second Migrate")
	require.NoError(t, w.Migrate(ctx), "third Migrate")
	assert.Equal(t, strconv.Itoa(warehouse.SchemaVersion), scalar(t, w, "SELECT max(version) FROM schema_migrations"))
	assert.Equal(t, "1", scalar(t, w, "SELECT count(*) FROM schema_migrations WHERE version = "+strconv.Itoa(warehouse.SchemaVersion)))
	var tables []warehouse.Table
	tables = append(tables, warehouse.CanonicalTables()...)
	tables = append(tables, warehouse.SystemTables()...)
	tables = append(tables, warehouse.ResultTables()...)
	for _, tb := range tables {
		res, err := w.Query(ctx, "SELECT * FROM "+tb.Name+" LIMIT 0")
		require.NoError(t, err, tb.Name)
		assert.Equal(t, tb.ColumnNames(), res.Columns, "columns of %s", tb.Name)
	}
}

func testUpsert(t *testing.T, w warehouse.Warehouse) {
	a, b := Customer(t, Source, "cus_a", "A"), Customer(t, Source, "cus_b", "B")
	write(t, w, "run1", a, b)
	write(t, w, "run1", a, b)
	write(t, w, "run2", a, b)
	require.Equal(t, 2, count(t, w, "customers"))
	assert.Equal(t, "run2", scalar(t, w, "SELECT min(run_id) FROM customers"), "an upsert marks unchanged rows with its run")
	write(t, w, "run3", Customer(t, Source, "cus_a", "A renamed"))
	got := scanAll(t, w, canonical.Customers)
	require.Equal(t, []string{"csv/cus_a", "csv/cus_b"}, ids(got))
	assert.Equal(t, "A renamed", got[0].(*canonical.Customer).Name)
	assert.Equal(t, "B", got[1].(*canonical.Customer).Name)
	// the same external_id in another source is another record
	write(t, w, "run4", Customer(t, "stripe", "cus_a", "Stripe A"))
	assert.Equal(t, []string{"csv/cus_a", "csv/cus_b", "stripe/cus_a"}, ids(scanAll(t, w, canonical.Customers)))
	// an empty batch is fine
	write(t, w, "run5")
}

func testDedupe(t *testing.T, w warehouse.Warehouse) {
	write(t, w, "run1",
		Customer(t, Source, "cus_a", "first"), Customer(t, Source, "cus_b", "B"),
		Customer(t, Source, "cus_a", "second"), Customer(t, Source, "cus_a", "last"))
	got := scanAll(t, w, canonical.Customers)
	require.Equal(t, []string{"csv/cus_a", "csv/cus_b"}, ids(got))
	assert.Equal(t, "last", got[0].(*canonical.Customer).Name, "the last record of a key wins")
}

func testStateAtomicity(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	st, err := w.State(ctx, Source)
	require.NoError(t, err)
	assert.Empty(t, st)

	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Upsert(ctx, "run1", []canonical.Record{Customer(t, Source, "cus_a", "A")}))
	require.NoError(t, tx.SaveState(ctx, Source, "customers", "cursor-1"))
	require.NoError(t, tx.Rollback())
	require.NoError(t, tx.Rollback(), "a second Rollback is a no-op")
	st, err = w.State(ctx, Source)
	require.NoError(t, err)
	assert.Empty(t, st, "a rolled-back state is lost")
	assert.Equal(t, 0, count(t, w, "customers"), "rolled-back records are lost with their state")

	tx, err = w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Upsert(ctx, "run2", []canonical.Record{Customer(t, Source, "cus_a", "A")}))
	require.NoError(t, tx.SaveState(ctx, Source, "customers", "cursor-1"))
	require.NoError(t, tx.SaveState(ctx, Source, "invoices", "cursor-9"))
	// not visible before Commit
	st, err = w.State(ctx, Source)
	require.NoError(t, err)
	assert.Empty(t, st, "state is invisible before Commit")
	require.NoError(t, tx.Commit())
	require.NoError(t, tx.Rollback(), "Rollback after Commit is a no-op")
	st, err = w.State(ctx, Source)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"customers": "cursor-1", "invoices": "cursor-9"}, st)
	assert.Equal(t, 1, count(t, w, "customers"))

	tx, err = w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.SaveState(ctx, Source, "customers", "cursor-2"))
	require.NoError(t, tx.SaveState(ctx, "other", "customers", "x"))
	require.NoError(t, tx.Commit())
	st, err = w.State(ctx, Source)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"customers": "cursor-2", "invoices": "cursor-9"}, st, "SaveState overwrites a stream's cursor")
}

func testDelete(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	write(t, w, "run1", Customer(t, Source, "a", "A"), Customer(t, Source, "b", "B"), Customer(t, Source, "c", "C"), Customer(t, "other", "a", "A"))
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Delete(ctx, Source, canonical.Customers, []string{"a", "c", "missing"}))
	require.NoError(t, tx.Delete(ctx, Source, canonical.Customers, nil))
	require.NoError(t, tx.Commit())
	assert.Equal(t, []string{"csv/b", "other/a"}, ids(scanAll(t, w, canonical.Customers)))
}

func testPrune(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	write(t, w, "run1", Customer(t, Source, "a", "A"), Customer(t, Source, "b", "B"), Customer(t, Source, "c", "C"), Customer(t, "other", "z", "Z"),
		Invoice(t, Source, "inv_1", "a"))
	write(t, w, "run2", Customer(t, Source, "a", "A"), Customer(t, Source, "b", "B changed"))
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	n, err := tx.Prune(ctx, Source, canonical.Customers, "run2")
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	assert.Equal(t, int64(1), n)
	assert.Equal(t, []string{"csv/a", "csv/b", "other/z"}, ids(scanAll(t, w, canonical.Customers)), "only the source's records the run did not write go")
	assert.Equal(t, 1, count(t, w, "invoices"), "other entities are untouched")

	tx, err = w.Begin(ctx)
	require.NoError(t, err)
	n, err = tx.Prune(ctx, Source, canonical.Customers, "run3")
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	require.NoError(t, tx.Rollback())
	assert.Equal(t, 3, count(t, w, "customers"), "a rolled-back prune deletes nothing")
}

func testUnresolved(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	write(t, w, "run1",
		Customer(t, Source, "cus_1", "One"),
		Parse(t, canonical.Plans, Source, map[string]string{"external_id": "basic", "name": "Basic", "interval_unit": "month"}, nil),
		Invoice(t, Source, "inv_ok", "cus_1"),
		Line(t, Source, "li_1", "inv_ok", "basic", "10"),
		Line(t, Source, "li_9", "inv_ok", "pro-annual", "10"), // unknown plan
		Invoice(t, Source, "inv_orphan", "cus_404"),           // unknown customer ...
		Line(t, Source, "li_5", "inv_orphan", "basic", "20"),  // ... so its line goes too (cascade)
		Parse(t, canonical.Transactions, Source, map[string]string{"external_id": "tx_5", "invoice_external_id": "inv_orphan", "type": "payment", "date": "2024-01-15"}, nil),
		// a reference resolves only within the same source
		Invoice(t, "stripe", "inv_s", "cus_1"),
	)
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	rej, err := tx.Unresolved(ctx, Source, "run1")
	require.NoError(t, err)
	require.NoError(t, tx.Commit())

	reasons := map[string]canonical.Rejection{}
	for _, r := range rej {
		reasons[string(r.Entity)+"/"+r.ExternalID] = r
		assert.Equal(t, Source, r.Source)
	}
	require.Len(t, rej, 4, "rejections: %v", rej)
	require.Contains(t, reasons, "invoice_lines/li_9")
	assert.Equal(t, "invoice_lines 'li_9': plan_external_id 'pro-annual' not found in source 'csv'", reasons["invoice_lines/li_9"].Reason)
	require.Contains(t, reasons, "invoices/inv_orphan")
	assert.Equal(t, "invoices 'inv_orphan': customer_external_id 'cus_404' not found in source 'csv'", reasons["invoices/inv_orphan"].Reason)
	require.Contains(t, reasons, "invoice_lines/li_5")
	assert.Equal(t, "invoice_lines 'li_5': invoice_external_id 'inv_orphan' not found in source 'csv'", reasons["invoice_lines/li_5"].Reason)
	require.Contains(t, reasons, "transactions/tx_5")

	assert.Equal(t, []string{"csv/inv_ok", "stripe/inv_s"}, ids(scanAll(t, w, canonical.Invoices)))
	assert.Equal(t, []string{"csv/li_1"}, ids(scanAll(t, w, canonical.InvoiceLines)))
	assert.Equal(t, 0, count(t, w, "transactions"))
	assert.Equal(t, "4", scalar(t, w, "SELECT count(*) FROM rejected_records WHERE run_id = 'run1' AND source = 'csv'"))
	assert.Equal(t, "invoice_lines 'li_9': plan_external_id 'pro-annual' not found in source 'csv'",
		scalar(t, w, "SELECT reason FROM rejected_records WHERE entity = 'invoice_lines' AND external_id = 'li_9'"))

	// nothing left to resolve: a second pass rejects nothing
	tx, err = w.Begin(ctx)
	require.NoError(t, err)
	rej, err = tx.Unresolved(ctx, Source, "run2")
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	assert.Empty(t, rej)
}

func testReject(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Reject(ctx, "run1", []canonical.Rejection{
		{Source: Source, Entity: canonical.InvoiceLines, ExternalID: "li_9", Reason: `invoice_lines 'li_9': amount "12,50" is not a decimal amount (use digits and a dot, like 1234.50)`, Raw: `{"amount":"12,50"}`},
		{Source: Source, Entity: canonical.Customers, Reason: "customers '': external_id is missing", Raw: "line 3: ,Ada,,"},
	}))
	require.NoError(t, tx.Reject(ctx, "run1", nil))
	require.NoError(t, tx.Commit())
	res, err := w.Query(ctx, "SELECT run_id, source, entity, external_id, reason, raw FROM rejected_records ORDER BY entity")
	require.NoError(t, err)
	require.Len(t, res.Rows, 2)
	text := func(row []*string) []string {
		out := make([]string, len(row))
		for i, v := range row {
			if v != nil {
				out[i] = *v
			} else {
				out[i] = "<nil>"
			}
		}
		return out
	}
	assert.Equal(t, []string{"run1", "csv", "customers", "<nil>", "customers '': external_id is missing", "line 3: ,Ada,,"}, text(res.Rows[0]), "an empty external_id is NULL")
	assert.Equal(t, []string{"run1", "csv", "invoice_lines", "li_9", `invoice_lines 'li_9': amount "12,50" is not a decimal amount (use digits and a dot, like 1234.50)`, `{"amount":"12,50"}`}, text(res.Rows[1]))
	assert.Equal(t, "0", scalar(t, w, "SELECT count(*) FROM rejected_records WHERE rejected_at IS NULL"))
}

func testScanRoundTrip(t *testing.T, w warehouse.Warehouse) {
	records := FullRecords(t)
	write(t, w, "run1", records...)
	byEntity := map[canonical.Entity][]canonical.Record{}
	for _, r := range records {
		byEntity[r.Entity()] = append(byEntity[r.Entity()], r)
	}
	for _, e := range canonical.Entities {
		got := scanAll(t, w, e)
		want := byEntity[e]
		require.Len(t, got, len(want), "%s", e)
		// Scan orders by (source, external_id)
		if want[0].Key().ExternalID > want[1].Key().ExternalID {
			want = []canonical.Record{want[1], want[0]}
		}
		for i := range want {
			RequireSameRecords(t, want[i], got[i])
			assert.Equal(t, e, got[i].Entity())
		}
	}
	// a scan stops at the callback's first error and returns it
	stop := errors.New("stop")
	n := 0
	err := w.Scan(context.Background(), canonical.Customers, func(canonical.Record) error { n++; return stop })
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
	// money and rates keep every digit
	assert.Equal(t, "1", scalar(t, w, "SELECT count(*) FROM invoice_lines WHERE amount = 99999999999999.9999"))
	assert.Equal(t, "1", scalar(t, w, "SELECT count(*) FROM fx_rates WHERE rate = 1.0823456789"))
}

func testSaveRun(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	start := time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC)
	run := warehouse.Run{ID: "run1", Job: "nightly", Source: Source, Trigger: "schedule", StartedAt: start, Status: "running"}
	require.NoError(t, w.SaveRun(ctx, run))
	assert.Equal(t, "running", scalar(t, w, "SELECT status FROM sync_runs WHERE run_id = 'run1'"))
	assert.Equal(t, "1", scalar(t, w, "SELECT count(*) FROM sync_runs WHERE finished_at IS NULL AND error IS NULL"))
	end := start.Add(90 * time.Second)
	run.FinishedAt, run.Status, run.Read, run.Written, run.Rejected, run.Error = &end, "failed", 10, 8, 2, "stripe: 401 unauthorized"
	require.NoError(t, w.SaveRun(ctx, run))
	require.NoError(t, w.SaveRun(ctx, warehouse.Run{ID: "run2", StartedAt: end, Status: "skipped"}))
	res, err := w.Query(ctx, "SELECT status, records_read, records_written, records_rejected, error, job, trigger FROM sync_runs WHERE run_id = 'run1'")
	require.NoError(t, err)
	require.Len(t, res.Rows, 1)
	var row []string
	for _, v := range res.Rows[0] {
		require.NotNil(t, v)
		row = append(row, *v)
	}
	assert.Equal(t, []string{"failed", "10", "8", "2", "stripe: 401 unauthorized", "nightly", "schedule"}, row)
	assert.Equal(t, "2", scalar(t, w, "SELECT count(*) FROM sync_runs"))
	assert.Equal(t, "1", scalar(t, w, "SELECT count(*) FROM sync_runs WHERE finished_at > started_at"))
}

// publishVersion publishes version v: v rows in mrr_movements and in customer_mrr, each
// carrying v in a column, so a reader can tell versions apart and spot a mix.
func publishVersion(ctx context.Context, w warehouse.Warehouse, v int, failAfterFill bool) error {
	return w.Publish(ctx, func(ctx context.Context, rw warehouse.ResultWriter) error {
		tag := "v" + strconv.Itoa(v)
		for i := range v {
			amt := decimal.NewFromInt(int64(v))
			if err := rw.Append("mrr_movements", canonical.NewDate(2024, 1, 1+i%28), Source, fmt.Sprintf("cus_%d", i), tag, decimal.Zero, amt, amt, "USD"); err != nil {
				return err
			}
			if err := rw.Append("customer_mrr", Source, fmt.Sprintf("cus_%d", i), canonical.NewDate(2024, 1, 1), nil, amt, tag); err != nil {
				return err
			}
		}
		if failAfterFill {
			return errors.New("metrics engine failed")
		}
		return nil
	})
}

// readerQuery returns, in one statement, each table's row count and its distinct tags.
const readerQuery = `SELECT (SELECT count(*) FROM mrr_movements), (SELECT count(DISTINCT type) FROM mrr_movements), (SELECT min(type) FROM mrr_movements),
	(SELECT count(*) FROM customer_mrr), (SELECT count(DISTINCT currency) FROM customer_mrr), (SELECT min(currency) FROM customer_mrr)`

func testPublishAtomic(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	require.NoError(t, publishVersion(ctx, w, 50, false))
	var (
		stop    atomic.Bool
		reads   atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		badRead []string
	)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				res, err := w.Query(ctx, readerQuery)
				if err != nil {
					mu.Lock()
					badRead = append(badRead, "query failed: "+err.Error())
					mu.Unlock()
					return
				}
				row := res.Rows[0]
				vals := make([]string, len(row))
				for i, v := range row {
					if v != nil {
						vals[i] = *v
					}
				}
				reads.Add(1)
				n, _ := strconv.Atoi(vals[0])
				ok := n > 0 && vals[1] == "1" && vals[2] == "v"+vals[0] && vals[3] == vals[0] && vals[4] == "1" && vals[5] == vals[2]
				if !ok {
					mu.Lock()
					badRead = append(badRead, fmt.Sprint(vals))
					mu.Unlock()
				}
			}
		}()
	}
	for v := 51; v <= 70; v++ {
		require.NoError(t, publishVersion(ctx, w, v, false))
	}
	// keep reading until the readers have seen at least a few results
	deadline := time.Now().Add(10 * time.Second)
	for reads.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	assert.Empty(t, badRead, "readers saw an empty, partial or mixed result")
	assert.GreaterOrEqual(t, reads.Load(), int64(1))
	assert.Equal(t, "70", scalar(t, w, "SELECT count(*) FROM mrr_movements"))
	assert.Equal(t, "v70", scalar(t, w, "SELECT min(currency) FROM customer_mrr"))
}

func testPublishFailure(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	require.NoError(t, publishVersion(ctx, w, 3, false))
	err := publishVersion(ctx, w, 5, true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "metrics engine failed")
	assert.Equal(t, "3", scalar(t, w, "SELECT count(*) FROM mrr_movements"))
	assert.Equal(t, "v3", scalar(t, w, "SELECT min(currency) FROM customer_mrr"))
	// an unknown table or a wrong column count is an error, and changes nothing
	err = w.Publish(ctx, func(ctx context.Context, rw warehouse.ResultWriter) error {
		return rw.Append("no_such_table", "x")
	})
	require.Error(t, err)
	err = w.Publish(ctx, func(ctx context.Context, rw warehouse.ResultWriter) error {
		return rw.Append("customer_mrr", "x")
	})
	require.Error(t, err)
	assert.Equal(t, "3", scalar(t, w, "SELECT count(*) FROM mrr_movements"))
	// a canceled context publishes nothing
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.Error(t, publishVersion(cctx, w, 4, false))
	assert.Equal(t, "3", scalar(t, w, "SELECT count(*) FROM mrr_movements"))
	// a successful publish after failures works, and tables a fill leaves empty are empty
	require.NoError(t, publishVersion(ctx, w, 2, false))
	assert.Equal(t, "2", scalar(t, w, "SELECT count(*) FROM customer_mrr"))
	assert.Equal(t, "0", scalar(t, w, "SELECT count(*) FROM cohorts"))
}

func testPublishValues(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	values := make([]any, len(warehouse.MetricsMonthly.Columns))
	for i, c := range warehouse.MetricsMonthly.Columns {
		switch c.Type {
		case warehouse.Date:
			values[i] = canonical.NewDate(2024, 2, 1)
		case warehouse.Text:
			values[i] = "all"
		case warehouse.Boolean:
			values[i] = true
		case warehouse.Integer:
			values[i] = int64(42)
		case warehouse.Money:
			values[i] = decimal.RequireFromString("12345678901234.5678")
		case warehouse.Rate:
			values[i] = decimal.RequireFromString("0.1234567891")
		}
	}
	values[len(values)-1] = nil // net_cash_flow NULL
	require.NoError(t, w.Publish(ctx, func(ctx context.Context, rw warehouse.ResultWriter) error {
		if err := rw.Append("metrics_monthly", values...); err != nil {
			return err
		}
		return rw.Append("cohorts", canonical.NewDate(2024, 1, 1), int64(0), int64(3), int64(3), decimal.RequireFromString("30"), decimal.RequireFromString("30"), decimal.NewFromInt(1), nil, "USD")
	}))
	assert.Equal(t, "2024-02-01", scalar(t, w, "SELECT period FROM metrics_monthly"))
	assert.Equal(t, "1", scalar(t, w, "SELECT count(*) FROM metrics_monthly WHERE mrr = 12345678901234.5678 AND nrr = 0.1234567891 AND customers = 42 AND is_partial AND net_cash_flow IS NULL"))
	assert.Equal(t, "1", scalar(t, w, "SELECT count(*) FROM cohorts WHERE mrr_retention IS NULL AND customer_retention = 1 AND currency = 'USD'"))
}

func testQuery(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	res, err := w.Query(ctx, "SELECT 1 AS n, 'x' AS s, NULL AS z, CAST(1.5 AS DECIMAL(18,4)) AS m, DATE '2024-01-31' AS d, true AS b, CAST(7 AS BIGINT) AS big")
	require.NoError(t, err)
	assert.Equal(t, []string{"n", "s", "z", "m", "d", "b", "big"}, res.Columns)
	require.Len(t, res.Numeric, 7)
	assert.Equal(t, []bool{true, false}, res.Numeric[:2])
	assert.True(t, res.Numeric[3], "decimals are numeric")
	assert.False(t, res.Numeric[4], "dates are not numeric")
	assert.True(t, res.Numeric[6])
	require.Len(t, res.Rows, 1)
	row := res.Rows[0]
	require.NotNil(t, row[0])
	assert.Equal(t, "1", *row[0])
	assert.Equal(t, "x", *row[1])
	assert.Nil(t, row[2])
	require.NotNil(t, row[3])
	assert.True(t, decimal.RequireFromString(*row[3]).Equal(decimal.RequireFromString("1.5")), "decimal rendered as %q", *row[3])
	assert.Equal(t, "2024-01-31", *row[4])
	assert.Equal(t, "true", *row[5])
	assert.Equal(t, "7", *row[6])

	// unqualified names resolve in the revsync schema
	write(t, w, "run1", Customer(t, Source, "cus_1", "Ada"))
	assert.Equal(t, "Ada", scalar(t, w, "SELECT name FROM customers"))
	res, err = w.Query(ctx, "SELECT name FROM customers WHERE false")
	require.NoError(t, err)
	assert.Equal(t, []string{"name"}, res.Columns)
	assert.Empty(t, res.Rows)

	_, err = w.Query(ctx, "SELECT * FROM no_such_table")
	require.Error(t, err, "a bad query is an error")
}
