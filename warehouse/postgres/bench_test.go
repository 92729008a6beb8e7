package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
)

const (
	benchLines = 1_000_000
	benchBatch = 50_000
)

// invoiceLines returns n subscription invoice lines of one source, 5 per invoice.
func invoiceLines(n int) []canonical.Record {
	out := make([]canonical.Record, n)
	start := canonical.NewDate(2024, 1, 1)
	for i := range n {
		s := start + canonical.Date(i%365)
		e := s + 30
		out[i] = &canonical.InvoiceLine{
			Meta:                   canonical.Meta{Source: "bench", ExternalID: fmt.Sprintf("li_%07d", i)},
			InvoiceExternalID:      fmt.Sprintf("inv_%07d", i/5),
			Type:                   "subscription",
			SubscriptionExternalID: fmt.Sprintf("sub_%06d", i/12),
			PlanExternalID:         []string{"basic", "pro", "pro-annual", "enterprise"}[i%4],
			ServicePeriodStart:     &s,
			ServicePeriodEnd:       &e,
			Amount:                 decimal.New(int64(1000+i%50000), -2),
			TaxAmount:              decimal.New(int64(i%2000), -2),
			DiscountAmount:         decimal.Zero,
			Quantity:               int64(1 + i%5),
			Prorated:               i%7 == 0,
			Description:            "Pro plan, monthly",
		}
	}
	return out
}

// load upserts records in batches of benchBatch, one transaction (and commit) per batch
// as the runner commits per checkpoint.
func load(b *testing.B, w warehouse.Warehouse, runID string, records []canonical.Record) {
	ctx := context.Background()
	for start := 0; start < len(records); start += benchBatch {
		tx, err := w.Begin(ctx)
		require.NoError(b, err)
		require.NoError(b, tx.Upsert(ctx, runID, records[start:min(start+benchBatch, len(records))]))
		require.NoError(b, tx.Commit())
	}
}

// BenchmarkLoadInvoiceLines measures loading 1,000,000 invoice lines into an empty
// warehouse (insert), then loading them again unchanged by the same run (no row
// rewritten) and by a new run (every row re-marked), in batches of 50,000.
func BenchmarkLoadInvoiceLines(b *testing.B) {
	records := invoiceLines(benchLines)
	for _, phase := range []string{"insert", "unchanged", "new-run"} {
		b.Run(phase, func(b *testing.B) {
			b.ReportAllocs()
			var elapsed, cpu time.Duration
			for range b.N {
				b.StopTimer()
				w := open(b)
				require.NoError(b, w.Migrate(context.Background()))
				if phase != "insert" {
					load(b, w, "run1", records)
				}
				run := "run1"
				if phase == "new-run" {
					run = "run2"
				}
				b.StartTimer()
				t0, c0 := time.Now(), cpuTime()
				load(b, w, run, records)
				elapsed += time.Since(t0)
				cpu += cpuTime() - c0
				b.StopTimer()
				require.NoError(b, w.Close())
				b.StartTimer()
			}
			b.ReportMetric(float64(benchLines)*float64(b.N)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(float64(benchLines)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
		})
	}
}

// BenchmarkPublish measures publishing 1,000,000 result rows (500,000 mrr_movements and
// 500,000 customer_mrr) over a previous result of the same size.
func BenchmarkPublish(b *testing.B) {
	const perTable = 500_000
	ctx := context.Background()
	w := open(b)
	defer w.Close()
	require.NoError(b, w.Migrate(ctx))
	fill := func(ctx context.Context, rw warehouse.ResultWriter) error {
		for i := range perTable {
			cus := fmt.Sprintf("cus_%07d", i)
			d := canonical.NewDate(2024, 1, 1) + canonical.Date(i%365)
			amt := decimal.New(int64(1000+i%50000), -2)
			if err := rw.Append("mrr_movements", d, "bench", cus, "new_business", decimal.Zero, amt, amt, "USD"); err != nil {
				return err
			}
			if err := rw.Append("customer_mrr", "bench", cus, d, nil, amt, "USD"); err != nil {
				return err
			}
		}
		return nil
	}
	require.NoError(b, w.Publish(ctx, fill))
	b.ReportAllocs()
	b.ResetTimer()
	t0, c0 := time.Now(), cpuTime()
	for range b.N {
		require.NoError(b, w.Publish(ctx, fill))
	}
	elapsed, cpu := time.Since(t0), cpuTime()-c0
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/publish")
	b.ReportMetric(float64(2*perTable)*float64(b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/publish")
}
