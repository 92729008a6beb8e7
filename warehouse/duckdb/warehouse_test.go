package duckdb

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestMigrate_CreatesEveryTableAndIsIdempotent(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	require.NoError(t, w.Migrate(ctx), "second Migrate")
	require.NoError(t, w.Migrate(ctx), "third Migrate")

	var want []string
	for _, group := range [][]warehouse.Table{warehouse.SystemTables(), warehouse.CanonicalTables(), warehouse.ResultTables()} {
		for _, tbl := range group {
			want = append(want, tbl.Name)
		}
	}
	got := query(t, w, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name")
	var names []string
	for _, r := range got {
		names = append(names, r[0])
	}
	assert.ElementsMatch(t, want, names)
	assert.Equal(t, [][]string{{"1"}}, query(t, w, "SELECT version FROM schema_migrations"))

	cols := query(t, w, `SELECT column_name, data_type, is_nullable FROM information_schema.columns
		WHERE table_name = 'invoice_lines' AND column_name IN ('amount','service_period_start','attributes','synced_at','quantity','prorated')
		ORDER BY column_name`)
	assert.Equal(t, [][]string{
		{"amount", "DECIMAL(18,4)", "NO"},
		{"attributes", "JSON", "YES"},
		{"prorated", "BOOLEAN", "NO"},
		{"quantity", "BIGINT", "NO"},
		{"service_period_start", "DATE", "YES"},
		{"synced_at", "TIMESTAMP", "NO"},
	}, cols)
	assert.Equal(t, [][]string{{"DECIMAL(18,10)"}},
		query(t, w, "SELECT data_type FROM information_schema.columns WHERE table_name = 'fx_rates' AND column_name = 'rate'"))
}

func TestMigrate_SurvivesReopenAndRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.duckdb")
	ctx := context.Background()
	w, err := Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, w.Migrate(ctx))
	upsert(t, w, "r1", fixtures(t, "csv")...)
	require.NoError(t, w.Close())

	w = openPath(t, path)
	assert.Equal(t, "1", count(t, w, "customers"), "data kept across reopen + Migrate")
	assert.Equal(t, "1", count(t, w, "schema_migrations"))

	_, err = w.Query(ctx, "INSERT INTO schema_migrations VALUES (99, now())")
	require.NoError(t, err)
	err = w.Migrate(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "version 99, newer than this revsync understands (1)")
}

// dump returns every column of a canonical table but synced_at, ordered by key.
func dump(t testing.TB, w warehouse.Warehouse, e canonical.Entity) [][]string {
	t.Helper()
	tbl := warehouse.CanonicalTable(e)
	cols := tbl.ColumnNames()
	cols = cols[:len(cols)-2]
	return query(t, w, fmt.Sprintf("SELECT %s, run_id FROM %s ORDER BY source, external_id", strings.Join(cols, ", "), e))
}

func TestUpsert_SameBatchTwiceLeavesIdenticalTables(t *testing.T) {
	w := open(t)
	upsert(t, w, "run1", fixtures(t, "csv")...)
	before := map[canonical.Entity][][]string{}
	for _, e := range canonical.Entities {
		before[e] = dump(t, w, e)
		require.Len(t, before[e], 1, e)
	}
	upsert(t, w, "run1", fixtures(t, "csv")...)
	for _, e := range canonical.Entities {
		assert.Equal(t, before[e], dump(t, w, e), e)
	}
}

func TestUpsert_UpdatesWinAndOtherSourcesAreSeparate(t *testing.T) {
	w := open(t)
	upsert(t, w, "run1", fixtures(t, "csv")...)
	upsert(t, w, "run1", fixtures(t, "stripe")...)
	changed := rec(t, canonical.Customers, "csv", map[string]string{"external_id": "cus_1", "name": "Ada GmbH"}, nil)
	upsert(t, w, "run2", changed)

	assert.Equal(t, [][]string{
		{"csv", "cus_1", "Ada GmbH", "NULL", "NULL", "run2"},
		{"stripe", "cus_1", "Ada Ltd", "ada@example.com", `{"seats":12,"tier":"gold","vip":true}`, "run1"},
	}, query(t, w, "SELECT source, external_id, name, email, CAST(attributes AS VARCHAR), run_id FROM customers ORDER BY source"))
}

func TestUpsert_DeduplicatesWithinOneCallLastWins(t *testing.T) {
	w := open(t)
	first := rec(t, canonical.Products, "csv", map[string]string{"external_id": "p1", "name": "first"}, nil)
	other := rec(t, canonical.Products, "csv", map[string]string{"external_id": "p2", "name": "other"}, nil)
	last := rec(t, canonical.Products, "csv", map[string]string{"external_id": "p1", "name": "last"}, nil)
	upsert(t, w, "run1", first, other, last)
	assert.Equal(t, [][]string{{"p1", "last"}, {"p2", "other"}}, query(t, w, "SELECT external_id, name FROM products ORDER BY 1"))
}

func TestUpsert_RejectsAmountsThatCannotBeStoredExactly(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	line := rec(t, canonical.InvoiceLines, "csv", map[string]string{"external_id": "li_1", "invoice_external_id": "inv_1",
		"type": "one_time", "amount": "1"}, nil)
	// canonical.Parse rejects such amounts; a record built in Go can still carry one.
	line.(*canonical.InvoiceLine).Amount = decimal.RequireFromString("1.23456")
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback()
	err = tx.Upsert(ctx, "r", []canonical.Record{line})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1.23456 has more than 4 decimal places")
}

func TestTx_StateIsCommittedWithItsRecordsAndRolledBackWithThem(t *testing.T) {
	w := open(t)
	ctx := context.Background()

	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Upsert(ctx, "r1", fixtures(t, "csv")))
	require.NoError(t, tx.SaveState(ctx, "csv", "customers", "cursor-1"))
	require.NoError(t, tx.Commit())
	require.NoError(t, tx.Rollback(), "Rollback after Commit is a no-op")

	state, err := w.State(ctx, "csv")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"customers": "cursor-1"}, state)

	tx, err = w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Upsert(ctx, "r2", []canonical.Record{
		rec(t, canonical.Products, "csv", map[string]string{"external_id": "prod_2", "name": "New"}, nil)}))
	require.NoError(t, tx.SaveState(ctx, "csv", "customers", "cursor-2"))
	require.NoError(t, tx.SaveState(ctx, "csv", "invoices", "inv-cursor"))
	require.NoError(t, tx.Rollback())

	state, err = w.State(ctx, "csv")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"customers": "cursor-1"}, state, "rolled-back cursors are gone")
	assert.Equal(t, "1", count(t, w, "products"), "rolled-back records are gone")

	other, err := w.State(ctx, "nobody")
	require.NoError(t, err)
	assert.Empty(t, other)
}

func TestTx_DeleteAndPruneCount(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	var old []canonical.Record
	for i := range 5 {
		old = append(old, rec(t, canonical.Products, "csv", map[string]string{"external_id": fmt.Sprintf("p%d", i), "name": "x"}, nil))
	}
	old = append(old, rec(t, canonical.Products, "other", map[string]string{"external_id": "p0", "name": "x"}, nil))
	upsert(t, w, "run1", old...)

	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback()
	require.NoError(t, tx.Upsert(ctx, "run2", old[:2]))
	require.NoError(t, tx.Delete(ctx, "csv", canonical.Products, []string{"p4", "missing"}))
	n, err := tx.Prune(ctx, "csv", canonical.Products, "run2")
	require.NoError(t, err)
	assert.Equal(t, int64(2), n, "p2 and p3 were not written by run2 (p4 was deleted)")
	require.NoError(t, tx.Commit())

	assert.Equal(t, [][]string{{"csv", "p0"}, {"csv", "p1"}, {"other", "p0"}},
		query(t, w, "SELECT source, external_id FROM products ORDER BY 1, 2"))
}

func TestTx_UnresolvedCascadesAndExplainsEachRejection(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	f := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	records := []canonical.Record{
		rec(t, canonical.Customers, "csv", f("external_id", "cus_1"), nil),
		rec(t, canonical.Plans, "csv", f("external_id", "basic", "name", "Basic", "interval_unit", "month"), nil),
		rec(t, canonical.Invoices, "csv", f("external_id", "inv_1", "customer_external_id", "cus_1", "date", "2024-01-01", "currency", "USD"), nil),
		rec(t, canonical.Invoices, "csv", f("external_id", "inv_2", "customer_external_id", "cus_gone", "date", "2024-01-01", "currency", "USD"), nil),
		rec(t, canonical.InvoiceLines, "csv", f("external_id", "li_1", "invoice_external_id", "inv_1", "type", "subscription",
			"subscription_external_id", "s1", "plan_external_id", "basic", "service_period_start", "2024-01-01",
			"service_period_end", "2024-02-01", "amount", "10"), nil),
		rec(t, canonical.InvoiceLines, "csv", f("external_id", "li_9", "invoice_external_id", "inv_1", "type", "subscription",
			"subscription_external_id", "s1", "plan_external_id", "pro-annual", "service_period_start", "2024-01-01",
			"service_period_end", "2025-01-01", "amount", "120"), canonical.Attributes{"k": "v"}),
		rec(t, canonical.InvoiceLines, "csv", f("external_id", "li_3", "invoice_external_id", "inv_2", "type", "one_time", "amount", "5"), nil),
		// The same dangling invoice in another source is that source's business.
		rec(t, canonical.Invoices, "stripe", f("external_id", "inv_2", "customer_external_id", "cus_gone", "date", "2024-01-01", "currency", "USD"), nil),
	}
	upsert(t, w, "run1", records...)

	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback()
	rej, err := tx.Unresolved(ctx, "csv", "run1")
	require.NoError(t, err)
	require.NoError(t, tx.Commit())

	reasons := map[string]string{}
	for _, r := range rej {
		assert.Equal(t, "csv", r.Source)
		reasons[string(r.Entity)+"/"+r.ExternalID] = r.Reason
	}
	assert.Equal(t, map[string]string{
		"invoices/inv_2":     "invoices 'inv_2': customer_external_id 'cus_gone' not found in source 'csv'",
		"invoice_lines/li_9": "invoice_lines 'li_9': plan_external_id 'pro-annual' not found in source 'csv'",
		"invoice_lines/li_3": "invoice_lines 'li_3': invoice_external_id 'inv_2' not found in source 'csv'",
	}, reasons)

	assert.Equal(t, [][]string{{"csv", "inv_1"}, {"stripe", "inv_2"}}, query(t, w, "SELECT source, external_id FROM invoices ORDER BY 1, 2"))
	assert.Equal(t, [][]string{{"li_1"}}, query(t, w, "SELECT external_id FROM invoice_lines"))

	stored := query(t, w, "SELECT run_id, source, entity, external_id, reason, raw FROM rejected_records WHERE external_id = 'li_9'")
	require.Len(t, stored, 1)
	assert.Equal(t, []string{"run1", "csv", "invoice_lines", "li_9", reasons["invoice_lines/li_9"]}, stored[0][:5])
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(stored[0][5]), &raw), stored[0][5])
	assert.Equal(t, "pro-annual", raw["plan_external_id"])
	assert.Equal(t, "120.0000", raw["amount"])
	assert.Equal(t, map[string]any{"k": "v"}, raw["attributes"])
	assert.Equal(t, "3", count(t, w, "rejected_records"))
}

func TestTx_RejectStoresRejectedRecords(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Reject(ctx, "run7", []canonical.Rejection{
		{Source: "csv", Entity: canonical.InvoiceLines, ExternalID: "li_9", Reason: `invoice_lines 'li_9': amount "12,50" is not a decimal amount`, Raw: "li_9,12,50"},
		{Source: "csv", Entity: canonical.Customers, Reason: "invoices.csv line 4: wrong number of columns", Raw: ""},
	}))
	require.NoError(t, tx.Commit())
	assert.Equal(t, [][]string{
		{"run7", "csv", "customers", "NULL", "invoices.csv line 4: wrong number of columns", "NULL"},
		{"run7", "csv", "invoice_lines", "li_9", `invoice_lines 'li_9': amount "12,50" is not a decimal amount`, "li_9,12,50"},
	}, query(t, w, "SELECT run_id, source, entity, external_id, reason, raw FROM rejected_records ORDER BY entity"))
	assert.Equal(t, "0", query(t, w, "SELECT count(*) FROM rejected_records WHERE rejected_at IS NULL")[0][0])
}

// render prints a record's key, fields and attributes with exact types, for the golden
// file and round-trip comparisons.
func render(r canonical.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s", r.Entity(), r.Header().Source, r.Header().ExternalID)
	for i, f := range canonical.SchemaOf(r.Entity()).Fields {
		v := canonical.Values(r)[i]
		switch x := v.(type) {
		case decimal.Decimal:
			v = "decimal:" + x.String()
		case time.Time:
			v = "time:" + x.Format(time.RFC3339Nano)
		case canonical.Date:
			v = "date:" + x.String()
		case nil:
			v = "nil"
		default:
			v = fmt.Sprintf("%T:%v", x, x)
		}
		fmt.Fprintf(&b, "\n  %s=%v", f.Name, v)
	}
	attrs, _ := json.Marshal(r.Header().Attributes)
	fmt.Fprintf(&b, "\n  attributes=%s", attrs)
	for _, k := range slices.Sorted(maps.Keys(r.Header().Attributes)) {
		fmt.Fprintf(&b, " %s:%T", k, r.Header().Attributes[k])
	}
	return b.String()
}

func TestScan_RoundTripsEveryEntityExactly(t *testing.T) {
	w := open(t)
	in := fixtures(t, "csv")
	upsert(t, w, "run1", in...)
	var golden strings.Builder
	for _, want := range in {
		t.Run(string(want.Entity()), func(t *testing.T) {
			got := scanAll(t, w, want.Entity())
			require.Len(t, got, 1)
			assert.Equal(t, want.Key(), got[0].Key())
			wv, gv := canonical.Values(want), canonical.Values(got[0])
			for i, f := range canonical.SchemaOf(want.Entity()).Fields {
				switch x := wv[i].(type) {
				case decimal.Decimal:
					require.IsType(t, decimal.Decimal{}, gv[i], f.Name)
					assert.True(t, x.Equal(gv[i].(decimal.Decimal)), "%s: want %s got %s", f.Name, x, gv[i])
				case time.Time:
					require.IsType(t, time.Time{}, gv[i], f.Name)
					assert.True(t, x.Equal(gv[i].(time.Time)), "%s: want %s got %s", f.Name, x, gv[i])
				default:
					assert.Equal(t, wv[i], gv[i], f.Name)
				}
			}
			wantAttrs := want.Header().Attributes
			if d, ok := wantAttrs["ratio"].(decimal.Decimal); ok {
				assert.True(t, d.Equal(got[0].Header().Attributes["ratio"].(decimal.Decimal)), "decimal attribute kept every digit")
			} else {
				assert.Equal(t, wantAttrs, got[0].Header().Attributes)
			}
			golden.WriteString(render(got[0]) + "\n")
		})
	}
	checkGolden(t, "scan.golden", golden.String())
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got)
}

func TestScan_OrdersBySourceThenExternalIDAcrossPages(t *testing.T) {
	for _, page := range []int{sqlstore.Unpaged, 3, 7} {
		t.Run(fmt.Sprintf("page %d", page), func(t *testing.T) { testScanOrder(t, page) })
	}
}

func testScanOrder(t *testing.T, page int) {
	w := open(t)
	w.ScanPage = page
	var recs []canonical.Record
	var want []canonical.Key
	for _, src := range []string{"zeta", "alpha", "mid"} {
		for _, id := range []string{"b", "a", "c", "a2", "d", "e", "f"} {
			recs = append(recs, rec(t, canonical.Products, src, map[string]string{"external_id": id, "name": id}, nil))
		}
	}
	upsert(t, w, "r", recs...)
	for _, src := range []string{"alpha", "mid", "zeta"} {
		for _, id := range []string{"a", "a2", "b", "c", "d", "e", "f"} {
			want = append(want, canonical.Key{Source: src, ExternalID: id})
		}
	}
	var got []canonical.Key
	for _, r := range scanAll(t, w, canonical.Products) {
		got = append(got, r.Key())
	}
	assert.Equal(t, want, got)

	stop := fmt.Errorf("stop")
	n := 0
	err := w.Scan(context.Background(), canonical.Products, func(canonical.Record) error { n++; return stop })
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
}

func TestQuery_RendersTextExactly(t *testing.T) {
	w := open(t)
	res, err := w.Query(context.Background(), `SELECT NULL::INTEGER AS n, CAST('1234.5' AS DECIMAL(18,4)) AS money,
		CAST('0.12345678901' AS DECIMAL(18,10)) AS rate, -3::BIGINT AS i, DATE '2024-02-29' AS d,
		TIMESTAMP '2024-01-31 12:34:56.789' AS ts, true AS b, 'text' AS s, 1.5::DOUBLE AS f`)
	require.NoError(t, err)
	assert.Equal(t, []string{"n", "money", "rate", "i", "d", "ts", "b", "s", "f"}, res.Columns)
	assert.Equal(t, []bool{true, true, true, true, false, false, false, false, true}, res.Numeric)
	require.Len(t, res.Rows, 1)
	var got []string
	for _, v := range res.Rows[0] {
		if v == nil {
			got = append(got, "<nil>")
		} else {
			got = append(got, *v)
		}
	}
	assert.Equal(t, []string{"<nil>", "1234.5000", "0.1234567890", "-3", "2024-02-29", "2024-01-31T12:34:56.789Z", "true", "text", "1.5"}, got)

	_, err = w.Query(context.Background(), "SELECT * FROM no_such_table")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no_such_table")
}

func TestSaveRun_InsertsThenUpdates(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	run := warehouse.Run{ID: "r1", Job: "main", Source: "csv", Trigger: "cli", StartedAt: start, Status: "running"}
	require.NoError(t, w.SaveRun(ctx, run))
	end := start.Add(90 * time.Second)
	run.FinishedAt, run.Status, run.Read, run.Written, run.Rejected, run.Error = &end, "failed", 10, 8, 2, "boom"
	require.NoError(t, w.SaveRun(ctx, run))
	assert.Equal(t, [][]string{{"r1", "main", "csv", "cli", "2024-03-01T10:00:00Z", "2024-03-01T10:01:30Z", "failed", "10", "8", "2", "boom"}},
		query(t, w, "SELECT * FROM sync_runs"))
}

func TestTx_DeletedKeyCanBeWrittenAgainUnderConcurrentReaders(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	var recs []canonical.Record
	for i := range 2000 {
		recs = append(recs, rec(t, canonical.Products, "csv", map[string]string{"external_id": fmt.Sprintf("p%04d", i), "name": "a"}, nil))
	}
	upsert(t, w, "run1", recs...)
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.Key().ExternalID
	}

	done := make(chan struct{})
	readerErr := make(chan error, 1)
	go func() {
		defer close(readerErr)
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := w.Query(ctx, "SELECT count(*), max(name) FROM products"); err != nil {
				readerErr <- err
				return
			}
		}
	}()
	for round := range 5 {
		tx, err := w.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, tx.Delete(ctx, "csv", canonical.Products, ids))
		require.NoError(t, tx.Upsert(ctx, fmt.Sprintf("run%d", round+2), recs), "round %d", round)
		n, err := tx.Prune(ctx, "csv", canonical.Products, fmt.Sprintf("run%d", round+2))
		require.NoError(t, err)
		assert.Zero(t, n)
		require.NoError(t, tx.Commit(), "round %d", round)
	}
	close(done)
	require.NoError(t, <-readerErr)
	assert.Equal(t, [][]string{{"2000", "run6"}}, query(t, w, "SELECT count(*), max(run_id) FROM products"))
}
