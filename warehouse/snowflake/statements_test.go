package snowflake

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/warehousetest"
)

var update = flag.Bool("update", false, "rewrite the golden statement files in testdata/")

var fixedNow = time.Date(2024, 3, 1, 12, 30, 45, 123456000, time.UTC)

// golden compares got with testdata/name.sql (rewritten under -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".sql")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./warehouse/snowflake/ -update")
	assert.Equal(t, string(want), got, "statements differ from %s (run with -update after checking the change)", path)
}

// resultRow returns a valid row of result table t with a value of every kind.
func resultRow(t warehouse.Table) []any {
	row := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		switch c.Type {
		case warehouse.Date:
			row[i] = canonical.NewDate(2024, 2, 1)
		case warehouse.Timestamp:
			row[i] = fixedNow
		case warehouse.Money:
			row[i] = decimal.RequireFromString("12345678901234.5678")
		case warehouse.Rate:
			row[i] = decimal.RequireFromString("0.1234567891")
		case warehouse.Integer:
			row[i] = int64(42)
		case warehouse.Boolean:
			row[i] = true
		default:
			row[i] = `say "hi", ok`
		}
	}
	return row
}

func fillAll(_ context.Context, rw warehouse.ResultWriter) error {
	for _, t := range warehouse.ResultTables() {
		if err := rw.Append(t.Name, resultRow(t)...); err != nil {
			return err
		}
	}
	return nil
}

// TestStatements_FakeGolden records, on a fake driver (no Snowflake can run here),
// every statement each Warehouse operation sends, and compares them with the golden
// files in testdata: DDL and migrations, both load paths (array binding and
// PUT + COPY INTO), MERGE, delete, prune, unresolved references, rejections,
// rollback, publication with SWAP, state, runs, scans and queries.
func TestStatements_FakeGolden(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name         string
		arrayBindMax int
		run          func(t *testing.T, w *Warehouse)
	}{
		{"migrate", 0, func(t *testing.T, w *Warehouse) { require.NoError(t, w.Migrate(ctx)) }},
		{"upsert_array_binding", 0, upsertAll},
		{"upsert_put_copy", 1, upsertAll},
		{"delete_prune_unresolved_reject", 0, func(t *testing.T, w *Warehouse) {
			tx, err := w.Begin(ctx)
			require.NoError(t, err)
			require.NoError(t, tx.Delete(ctx, "src", canonical.Customers, []string{"cus_1", "cus_'2"}))
			_, err = tx.Prune(ctx, "src", canonical.Invoices, "run1")
			require.NoError(t, err)
			_, err = tx.Unresolved(ctx, "src", "run1")
			require.NoError(t, err)
			require.NoError(t, tx.Reject(ctx, "run1", []canonical.Rejection{{Source: "src", Entity: canonical.Invoices, ExternalID: "in_1", Reason: "invoice 'in_1': date is missing", Raw: `{"a":"b"}`}}))
			require.NoError(t, tx.Commit())
		}},
		{"rollback", 0, func(t *testing.T, w *Warehouse) {
			tx, err := w.Begin(ctx)
			require.NoError(t, err)
			require.NoError(t, tx.Upsert(ctx, "run1", []canonical.Record{warehousetest.Customer(t, "src", "cus_1", "Ada")}))
			require.NoError(t, tx.Rollback())
		}},
		{"publish_swap_array_binding", 0, func(t *testing.T, w *Warehouse) { require.NoError(t, w.Publish(ctx, fillAll)) }},
		{"publish_swap_put_copy", 1, func(t *testing.T, w *Warehouse) { require.NoError(t, w.Publish(ctx, fillAll)) }},
		{"publish_failed_fill", 0, func(t *testing.T, w *Warehouse) {
			err := w.Publish(ctx, func(ctx context.Context, rw warehouse.ResultWriter) error { return errors.New("metrics failed") })
			require.ErrorContains(t, err, "metrics failed")
		}},
		{"state", 0, func(t *testing.T, w *Warehouse) {
			_, err := w.State(ctx, "src")
			require.NoError(t, err)
		}},
		{"save_run", 0, func(t *testing.T, w *Warehouse) {
			end := fixedNow.Add(time.Minute)
			require.NoError(t, w.SaveRun(ctx, warehouse.Run{ID: "run1", Source: "src", Trigger: "cli", StartedAt: fixedNow, FinishedAt: &end,
				Status: "succeeded", Read: 10, Written: 9, Rejected: 1}))
		}},
		{"scan", 0, func(t *testing.T, w *Warehouse) {
			require.NoError(t, w.Scan(ctx, canonical.InvoiceLines, func(canonical.Record) error { return nil }))
		}},
		{"query", 0, func(t *testing.T, w *Warehouse) {
			_, err := w.Query(ctx, "SELECT name FROM customers")
			require.NoError(t, err)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, log := openFake(t, tc.arrayBindMax)
			w.Store.Now = func() time.Time { return fixedNow }
			if tc.name == "migrate" {
				golden(t, "setup", log.Render())
			}
			log.Reset()
			tc.run(t, w)
			golden(t, tc.name, log.Render())
		})
	}
}

// upsertAll writes every entity, full and minimal, plus a duplicate, and a cursor.
func upsertAll(t *testing.T, w *Warehouse) {
	ctx := context.Background()
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	recs := warehousetest.FullRecords(t)
	recs = append(recs, warehousetest.Customer(t, warehousetest.Source, "cus_dup", "First"), warehousetest.Customer(t, warehousetest.Source, "cus_dup", `Second "quoted", comma`))
	require.NoError(t, tx.Upsert(ctx, "run1", recs))
	require.NoError(t, tx.SaveState(ctx, "src", "invoices", "2024-01-31T00:00:00Z"))
	require.NoError(t, tx.Commit())
}

// TestWrite_FakeOneSessionNoDDLInsideTheTransaction checks on a fake driver (no
// Snowflake can run here) that a write transaction pins one connection: its session
// DDL (temporary stage and staging tables) runs on it before BEGIN, and between BEGIN
// and COMMIT only DML, PUT and COPY run, since Snowflake DDL would commit early.
func TestWrite_FakeOneSessionNoDDLInsideTheTransaction(t *testing.T) {
	for _, max := range []int{0, 1} {
		w, log := openFake(t, max)
		log.Reset()
		upsertAll(t, w)
		entries := log.Entries()
		require.NotEmpty(t, entries)
		conn := entries[0].Conn
		inTx, began, committed := false, false, false
		var kinds []string
		for _, e := range entries {
			assert.Equal(t, conn, e.Conn, "every statement on the pinned session: %s", e.SQL)
			switch e.Kind {
			case "begin":
				inTx, began = true, true
			case "commit":
				inTx, committed = false, true
			case "exec", "query":
				verb := strings.Fields(e.SQL)[0]
				if inTx {
					assert.NotContains(t, []string{"CREATE", "ALTER", "DROP"}, verb, "DDL inside the transaction: %s", e.SQL)
				} else {
					assert.Equal(t, "CREATE", verb, "only session DDL before BEGIN: %s", e.SQL)
				}
				kinds = append(kinds, verb)
			}
		}
		assert.True(t, began && committed)
		assert.Contains(t, kinds, "MERGE")
		if max == 1 {
			assert.Contains(t, kinds, "PUT")
			assert.Contains(t, kinds, "COPY")
		} else {
			assert.NotContains(t, kinds, "PUT")
			assert.Contains(t, kinds, "INSERT")
		}
	}
}

// TestPublish_FakeSwapsAfterTheStagingCommit checks on a fake driver (no Snowflake can
// run here) the publication sequence on one session: CREATE OR REPLACE TABLE
// <t>__staging LIKE <t> for every result table, BEGIN, loads, COMMIT, then every SWAP,
// then the drops; and that a failed fill rolls back and swaps nothing.
func TestPublish_FakeSwapsAfterTheStagingCommit(t *testing.T) {
	ctx := context.Background()
	w, log := openFake(t, 0)
	log.Reset()
	require.NoError(t, w.Publish(ctx, fillAll))
	var seq []string
	conn := log.Entries()[0].Conn
	for _, e := range log.Entries() {
		assert.Equal(t, conn, e.Conn, "one session: %s", e.SQL)
		if e.Kind == "exec" {
			f := strings.Fields(e.SQL)
			seq = append(seq, f[0])
		} else {
			seq = append(seq, strings.ToUpper(e.Kind))
		}
	}
	n := len(warehouse.ResultTables())
	want := []string{"CREATE"} // the stage
	for range n {
		want = append(want, "CREATE")
	}
	want = append(want, "BEGIN")
	for range n {
		want = append(want, "TRUNCATE")
	}
	for range n {
		want = append(want, "INSERT")
	}
	want = append(want, "COMMIT")
	for range n {
		want = append(want, "ALTER")
	}
	for range n {
		want = append(want, "DROP")
	}
	assert.Equal(t, want, seq)

	log.Reset()
	require.Error(t, w.Publish(ctx, func(context.Context, warehouse.ResultWriter) error { return errors.New("boom") }))
	for _, e := range log.Entries() {
		assert.NotEqual(t, "commit", e.Kind)
		assert.NotContains(t, e.SQL, "SWAP")
	}
	assert.Equal(t, "rollback", log.Entries()[len(log.Entries())-1].Kind)
}
