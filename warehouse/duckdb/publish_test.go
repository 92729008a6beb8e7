package duckdb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resultRow returns row i of a result table for publication version: every text column
// carries "v<version>-<i>", so a reader can tell which publication a row belongs to.
func resultRow(tbl warehouse.Table, version, i int) []any {
	vals := make([]any, len(tbl.Columns))
	for c, col := range tbl.Columns {
		switch col.Type {
		case warehouse.Text:
			vals[c] = fmt.Sprintf("v%d-%d", version, i)
		case warehouse.Date:
			vals[c] = canonical.NewDate(2020, 1, 1) + canonical.Date(i)
		case warehouse.Money:
			vals[c] = decimal.New(int64(i)*101+int64(version), -2)
		case warehouse.Rate:
			vals[c] = decimal.RequireFromString("0.1234567891")
		case warehouse.Integer:
			vals[c] = int64(i)
		case warehouse.Boolean:
			vals[c] = i%2 == 0
		}
	}
	return vals
}

// fillVersion writes n rows into every result table.
func fillVersion(version, n int) func(context.Context, warehouse.ResultWriter) error {
	return func(ctx context.Context, w warehouse.ResultWriter) error {
		for _, tbl := range warehouse.ResultTables() {
			for i := range n {
				if err := w.Append(tbl.Name, resultRow(tbl, version, i)...); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// snapshotQuery reads, in one statement (one snapshot), the row count and the set of
// publication versions of every result table.
const snapshotQuery = `SELECT
 (SELECT count(*) FROM mrr_movements), (SELECT string_agg(DISTINCT split_part(source, '-', 1), ',') FROM mrr_movements),
 (SELECT count(*) FROM customer_mrr), (SELECT string_agg(DISTINCT split_part(source, '-', 1), ',') FROM customer_mrr),
 (SELECT count(*) FROM metrics_daily), (SELECT string_agg(DISTINCT split_part(dimension, '-', 1), ',') FROM metrics_daily),
 (SELECT count(*) FROM metrics_monthly), (SELECT string_agg(DISTINCT split_part(dimension, '-', 1), ',') FROM metrics_monthly),
 (SELECT count(*) FROM cohorts), (SELECT string_agg(DISTINCT split_part(currency, '-', 1), ',') FROM cohorts)`

// checkSnapshot returns a description of what is wrong with a snapshot, or "".
func checkSnapshot(row []string, n int) string {
	version := row[1]
	for i := 0; i < len(row); i += 2 {
		if row[i] != strconv.Itoa(n) || row[i+1] != version {
			return fmt.Sprintf("mixed or partial publication: %v", row)
		}
	}
	return ""
}

func TestPublish_ReaderSeesOldOrNewNeverMixedOrEmpty(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	const n = 3000
	require.NoError(t, w.Publish(ctx, fillVersion(1, n)))
	require.Equal(t, "", checkSnapshot(query(t, w, snapshotQuery)[0], n))

	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	problems := make(chan string, 100)
	seen := sync.Map{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			res, err := w.Query(ctx, snapshotQuery)
			if err != nil {
				problems <- err.Error()
				return
			}
			row := make([]string, len(res.Rows[0]))
			for i, v := range res.Rows[0] {
				if v == nil {
					row[i] = "NULL"
				} else {
					row[i] = *v
				}
			}
			if p := checkSnapshot(row, n); p != "" {
				problems <- p
				return
			}
			seen.Store(row[1], true)
			reads.Add(1)
		}
	}()
	for version := 2; version <= 6; version++ {
		require.NoError(t, w.Publish(ctx, fillVersion(version, n)))
	}
	stop.Store(true)
	wg.Wait()
	close(problems)
	for p := range problems {
		t.Error(p)
	}
	assert.Positive(t, reads.Load())
	assert.Equal(t, "", checkSnapshot(query(t, w, snapshotQuery)[0], n))
	assert.Equal(t, "v6", query(t, w, snapshotQuery)[0][1])
	t.Logf("%d consistent reads during 5 publications", reads.Load())
}

func TestPublish_FailedFillLeavesPreviousResults(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	require.NoError(t, w.Publish(ctx, fillVersion(1, 50)))
	before := query(t, w, snapshotQuery)

	cases := []struct {
		name string
		fill func(context.Context, warehouse.ResultWriter) error
		want string
	}{
		{"fill returns an error after writing rows", func(ctx context.Context, rw warehouse.ResultWriter) error {
			if err := fillVersion(2, 20_000)(ctx, rw); err != nil {
				return err
			}
			return errors.New("metrics engine failed")
		}, "metrics engine failed"},
		{"unknown table", func(ctx context.Context, rw warehouse.ResultWriter) error {
			return rw.Append("mrr", "x")
		}, `"mrr" is not a result table`},
		{"wrong column count", func(ctx context.Context, rw warehouse.ResultWriter) error {
			return rw.Append("cohorts", int64(1))
		}, "cohorts has 9 columns, got 1 values"},
		{"float for money", func(ctx context.Context, rw warehouse.ResultWriter) error {
			row := resultRow(warehouse.CustomerMRR, 2, 1)
			row[4] = 12.5
			return rw.Append("customer_mrr", row...)
		}, "customer_mrr.mrr: a float64 value does not fit a money (decimal.Decimal) column"},
		{"NULL in a NOT NULL column", func(ctx context.Context, rw warehouse.ResultWriter) error {
			row := resultRow(warehouse.CustomerMRR, 2, 1)
			row[0] = nil
			return rw.Append("customer_mrr", row...)
		}, "customer_mrr.source must not be NULL"},
		{"too many decimals", func(ctx context.Context, rw warehouse.ResultWriter) error {
			row := resultRow(warehouse.CustomerMRR, 2, 1)
			row[4] = decimal.RequireFromString("1.00001")
			return rw.Append("customer_mrr", row...)
		}, "1.00001 has more than 4 decimal places"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := w.Publish(ctx, tc.fill)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, before, query(t, w, snapshotQuery))
		})
	}
	assert.Equal(t, [][]string{{"0"}}, query(t, w, "SELECT count(*) FROM duckdb_tables() WHERE temporary"), "no staging table left")
}

func TestPublish_WritesExactValues(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	valid := canonical.NewDate(2024, 2, 1)
	require.NoError(t, w.Publish(ctx, func(ctx context.Context, rw warehouse.ResultWriter) error {
		if err := rw.Append("customer_mrr", "csv", "cus_1", canonical.NewDate(2024, 1, 15), valid,
			decimal.RequireFromString("1234.5678"), "USD"); err != nil {
			return err
		}
		return rw.Append("customer_mrr", "csv", "cus_2", canonical.NewDate(2024, 1, 15), nil,
			decimal.RequireFromString("-0.0001"), "USD")
	}))
	assert.Equal(t, [][]string{
		{"csv", "cus_1", "2024-01-15", "2024-02-01", "1234.5678", "USD"},
		{"csv", "cus_2", "2024-01-15", "NULL", "-0.0001", "USD"},
	}, query(t, w, "SELECT * FROM customer_mrr ORDER BY customer_external_id"))
	assert.Equal(t, "0", count(t, w, "mrr_movements"), "tables fill did not write are emptied")
}
