package runner

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/connectors"
	csvconn "github.com/revsync/revsync/connectors/csv"
	"github.com/revsync/revsync/internal/conformance"
	"github.com/revsync/revsync/internal/pgtest"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/duckdb"
	"github.com/revsync/revsync/warehouse/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openers are the warehouses every pipeline test runs against: real DuckDB files and a
// real PostgreSQL server (internal/pgtest).
var openers = []struct {
	name string
	open func(t *testing.T) warehouse.Warehouse
}{
	{"duckdb", func(t *testing.T) warehouse.Warehouse {
		wh, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), "revsync.duckdb"))
		require.NoError(t, err)
		t.Cleanup(func() { wh.Close() })
		require.NoError(t, wh.Migrate(context.Background()))
		return wh
	}},
	{"postgres", func(t *testing.T) warehouse.Warehouse {
		wh, err := postgres.Open(context.Background(), pgtest.DSN(t), pgtest.Schema(t))
		require.NoError(t, err)
		t.Cleanup(func() { wh.Close() })
		require.NoError(t, wh.Migrate(context.Background()))
		return wh
	}},
}

// csvConfig returns a config with one CSV source reading dir.
func csvConfig(dir string, m config.Metrics) *config.Config {
	return &config.Config{
		File: "test.yaml", Dir: dir, Metrics: m,
		Sources: []config.Source{{Name: "csv", Type: "csv", Settings: &csvconn.Settings{Path: dir}}},
	}
}

func testRegistry() *connectors.Registry {
	reg := connectors.NewRegistry()
	reg.Register(csvconn.Connector{})
	return reg
}

// TestPipeline_ConformanceCases runs every discovered conformance case through the whole
// pipeline (CSV → runner → warehouse → metrics → publication) on each warehouse and
// compares the published tables with the expected files.
func TestPipeline_ConformanceCases(t *testing.T) {
	cases, err := conformance.Discover()
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, wo := range openers {
		t.Run(wo.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					wh := wo.open(t)
					m := config.Metrics{ReportingCurrency: c.Metrics.ReportingCurrency, SubscriptionEnd: c.Metrics.SubscriptionEnd,
						ExcludeUnpaid: c.Metrics.ExcludeUnpaid, Dimensions: c.Metrics.Dimensions}
					if m.SubscriptionEnd == "" {
						m.SubscriptionEnd = "service_period"
					}
					asOf, err := canonical.ParseDate(c.Metrics.AsOf)
					require.NoError(t, err)
					sum, err := Run(context.Background(), Options{Config: csvConfig(c.Dir, m), Registry: testRegistry(), Warehouse: wh, AsOf: asOf})
					require.NoError(t, err)
					_, _, rejected, _ := sum.Totals()
					require.Zero(t, rejected, "conformance data is valid")
					compareCase(t, wh, c)
				})
			}
		})
	}
}

// caseQueries maps each expected file to the query that reads the same columns.
func caseQueries(header []string) map[string]struct {
	sql     string
	ordered bool
} {
	cols := strings.Join(header, ", ")
	return map[string]struct {
		sql     string
		ordered bool
	}{
		"expected_movements.csv":  {"SELECT " + cols + " FROM mrr_movements", false},
		"expected_monthly.csv":    {"SELECT " + cols + " FROM metrics_monthly WHERE dimension = 'all' ORDER BY period", true},
		"expected_cohorts.csv":    {"SELECT " + cols + " FROM cohorts ORDER BY cohort_month, month_offset", true},
		"expected_dimensions.csv": {"SELECT " + cols + " FROM metrics_monthly WHERE dimension IN ('plan', 'country')", false},
	}
}

func compareCase(t *testing.T, wh warehouse.Warehouse, c conformance.Case) {
	files, err := filepath.Glob(filepath.Join(c.Dir, "expected_*.csv"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		expected, err := conformance.ReadCSV(file)
		require.NoError(t, err)
		q, ok := caseQueries(expected[0])[filepath.Base(file)]
		require.True(t, ok, "no query for %s", file)
		res, err := wh.Query(context.Background(), q.sql)
		require.NoError(t, err, q.sql)
		var actual [][]string
		for _, row := range res.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				if v != nil {
					cells[i] = *v
				}
			}
			actual = append(actual, cells)
		}
		if diffs := conformance.Diff(expected[1:], actual, q.ordered); len(diffs) > 0 {
			t.Errorf("%s: %d differences:\n%s", filepath.Base(file), len(diffs), strings.Join(diffs[:min(len(diffs), 20)], "\n"))
		}
	}
}

// TestPipeline_SecondRunChangesNothingAndSnapshotDeletes checks idempotence and the
// snapshot rule: a record removed from its file disappears after the next run.
func TestPipeline_SecondRunChangesNothingAndSnapshotDeletes(t *testing.T) {
	for _, wo := range openers {
		t.Run(wo.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join("..", "..", "testdata", "conformance", "01-basic-monthly")
			for _, name := range []string{"customers.csv", "plans.csv", "invoices.csv", "invoice_lines.csv"} {
				data, err := os.ReadFile(filepath.Join(src, name))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
			}
			wh := wo.open(t)
			opts := Options{Config: csvConfig(dir, config.Metrics{ReportingCurrency: "USD", SubscriptionEnd: "service_period"}),
				Registry: testRegistry(), Warehouse: wh, AsOf: canonical.NewDate(2024, 7, 31)}
			_, err := Run(context.Background(), opts)
			require.NoError(t, err)
			before := dump(t, wh)
			sum, err := Run(context.Background(), opts)
			require.NoError(t, err)
			assert.Equal(t, before, dump(t, wh))
			_, written, _, deleted := sum.Totals()
			assert.Equal(t, int64(3+2+19+19), written)
			assert.Zero(t, deleted)

			// Drop customer C and its invoices from the files: they are deleted.
			for _, name := range []string{"customers.csv", "invoices.csv", "invoice_lines.csv"} {
				path := filepath.Join(dir, name)
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				var kept []string
				for _, line := range strings.Split(string(data), "\n") {
					if !strings.HasPrefix(line, "C,") && !strings.HasPrefix(line, "c1-") && !strings.Contains(line, ",C,") {
						kept = append(kept, line)
					}
				}
				require.NoError(t, os.WriteFile(path, []byte(strings.Join(kept, "\n")), 0o644))
			}
			sum, err = Run(context.Background(), opts)
			require.NoError(t, err)
			_, _, _, deleted = sum.Totals()
			assert.Equal(t, int64(1+6+6), deleted)
			res, err := wh.Query(context.Background(), "SELECT count(*) FROM mrr_movements WHERE customer_external_id = 'C'")
			require.NoError(t, err)
			assert.Equal(t, "0", *res.Rows[0][0], "deleted records leave every metric")
		})
	}
}

// dump renders every canonical and result table, minus the columns naming the run.
func dump(t *testing.T, wh warehouse.Warehouse) map[string]string {
	t.Helper()
	out := map[string]string{}
	tables := append(warehouse.CanonicalTables(), warehouse.ResultTables()...)
	for _, table := range tables {
		cols := slices.DeleteFunc(table.ColumnNames(), func(c string) bool { return c == "synced_at" || c == "run_id" })
		res, err := wh.Query(context.Background(), fmt.Sprintf("SELECT %s FROM %s ORDER BY %s", strings.Join(cols, ", "), table.Name, strings.Join(cols, ", ")))
		require.NoError(t, err)
		var b strings.Builder
		w := csv.NewWriter(&b)
		for _, row := range res.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				if v != nil {
					cells[i] = *v
				} else {
					cells[i] = "NULL"
				}
			}
			require.NoError(t, w.Write(cells))
		}
		w.Flush()
		out[table.Name] = b.String()
	}
	return out
}

// TestPipeline_UnreadableRowKeepsTheStoredRecord checks that a record whose row turns bad
// in a snapshot file keeps its last good version (and the bad row is rejected), while a
// record missing from the file is deleted.
func TestPipeline_UnreadableRowKeepsTheStoredRecord(t *testing.T) {
	for _, wo := range openers {
		t.Run(wo.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(body string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "customers.csv"), []byte(body), 0o644))
			}
			wh := wo.open(t)
			opts := Options{Config: csvConfig(dir, config.Metrics{ReportingCurrency: "USD", SubscriptionEnd: "service_period"}),
				Registry: testRegistry(), Warehouse: wh, AsOf: canonical.NewDate(2024, 1, 31)}
			write("external_id,name,country\nA,Acme,US\nB,Bolt,DE\nC,Cyan,FR\n")
			_, err := Run(context.Background(), opts)
			require.NoError(t, err)

			write("external_id,name,country\nA,Acme,Germany\nB,Bolt,DE\n")
			sum, err := Run(context.Background(), opts)
			require.NoError(t, err)
			_, _, rejected, deleted := sum.Totals()
			assert.Equal(t, int64(1), rejected)
			assert.Equal(t, int64(1), deleted, "C left the file")
			assert.Equal(t, []string{"A US", "B DE"}, query(t, opts, "SELECT external_id || ' ' || country FROM customers ORDER BY external_id"))
			assert.Equal(t, []string{`customers.csv line 2: customers 'A': country "Germany" is not an ISO 3166-1 alpha-2 country code (like US or DE)`},
				query(t, opts, "SELECT reason FROM rejected_records"))
		})
	}
}
