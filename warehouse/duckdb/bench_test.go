package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// benchLines returns n realistic subscription invoice lines.
func benchLines(n, offset int) []canonical.Record {
	recs := make([]canonical.Record, n)
	start := canonical.NewDate(2024, 1, 1)
	end := start.AddInterval(canonical.Month, 1)
	for i := range recs {
		id := offset + i
		recs[i] = &canonical.InvoiceLine{
			Meta:                   canonical.Meta{Source: "bench", ExternalID: fmt.Sprintf("li_%08d", id)},
			InvoiceExternalID:      fmt.Sprintf("inv_%08d", id),
			Type:                   "subscription",
			SubscriptionExternalID: fmt.Sprintf("sub_%07d", id/3),
			PlanExternalID:         "pro-monthly",
			ServicePeriodStart:     &start,
			ServicePeriodEnd:       &end,
			Amount:                 decimal.New(int64(9900+id%500), -2),
			TaxAmount:              decimal.New(int64(1881+id%50), -2),
			DiscountAmount:         decimal.Zero,
			Quantity:               1,
			Description:            "Pro plan (monthly)",
		}
	}
	return recs
}

// BenchmarkUpsert measures bulk upsert throughput of invoice lines: batches of 50,000
// loaded through the appender and merged, committed per run of the benchmark loop. The
// "update" variant re-writes rows that already exist.
func BenchmarkUpsert(b *testing.B) {
	const batch, batches = 50_000, 4
	for _, mode := range []string{"insert", "update"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			data := make([][]canonical.Record, batches)
			for i := range data {
				data[i] = benchLines(batch, i*batch)
			}
			b.ReportAllocs()
			var elapsed, cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				w, err := Open(ctx, filepath.Join(b.TempDir(), "bench.duckdb"))
				require.NoError(b, err)
				require.NoError(b, w.Migrate(ctx))
				if mode == "update" {
					for _, recs := range data {
						upsert(b, w, "seed", recs...)
					}
				}
				b.StartTimer()
				t0, c0 := time.Now(), cpuTime()
				tx, err := w.Begin(ctx)
				require.NoError(b, err)
				for _, recs := range data {
					require.NoError(b, tx.Upsert(ctx, "bench", recs))
				}
				require.NoError(b, tx.Commit())
				elapsed += time.Since(t0)
				cpu += cpuTime() - c0
				b.StopTimer()
				require.NoError(b, w.Close())
				b.StartTimer()
			}
			b.ReportMetric(float64(batch*batches*b.N)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(float64(batch*batches*b.N)/cpu.Seconds(), "rows/cpu-s")
		})
	}
}

// BenchmarkPublish measures publishing n customer_mrr rows plus n mrr_movements rows.
func BenchmarkPublish(b *testing.B) {
	const n = 200_000
	ctx := context.Background()
	w, err := Open(ctx, filepath.Join(b.TempDir(), "bench.duckdb"))
	require.NoError(b, err)
	defer w.Close()
	require.NoError(b, w.Migrate(ctx))
	rows := map[string][][]any{}
	for _, tbl := range []warehouse.Table{warehouse.CustomerMRR, warehouse.MRRMovements} {
		for i := range n {
			rows[tbl.Name] = append(rows[tbl.Name], resultRow(tbl, 1, i))
		}
	}
	b.ReportAllocs()
	start, c0 := time.Now(), cpuTime()
	for b.Loop() {
		require.NoError(b, w.Publish(ctx, func(ctx context.Context, rw warehouse.ResultWriter) error {
			for table, rs := range rows {
				for _, r := range rs {
					if err := rw.Append(table, r...); err != nil {
						return err
					}
				}
			}
			return nil
		}))
	}
	b.ReportMetric(float64(2*n*b.N)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(2*n*b.N)/(cpuTime()-c0).Seconds(), "rows/cpu-s")
}

// BenchmarkScan measures reading invoice lines back as canonical records.
func BenchmarkScan(b *testing.B) {
	const n = 200_000
	ctx := context.Background()
	w, err := Open(ctx, filepath.Join(b.TempDir(), "bench.duckdb"))
	require.NoError(b, err)
	defer w.Close()
	require.NoError(b, w.Migrate(ctx))
	upsert(b, w, "seed", benchLines(n, 0)...)
	b.ReportAllocs()
	start, c0 := time.Now(), cpuTime()
	for b.Loop() {
		got := 0
		require.NoError(b, w.Scan(ctx, canonical.InvoiceLines, func(canonical.Record) error { got++; return nil }))
		require.Equal(b, n, got)
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(n*b.N)/(cpuTime()-c0).Seconds(), "rows/cpu-s")
}

// cpuTime is the user+system CPU time of this process so far: on a shared machine,
// rows per CPU-second is steadier than rows per wall-clock second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
