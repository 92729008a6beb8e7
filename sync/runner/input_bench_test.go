package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/metrics"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/duckdb"
)

// discardSink drops every result row.
type discardSink struct{}

func (discardSink) Movement(metrics.Movement) error       { return nil }
func (discardSink) CustomerMRR(metrics.CustomerMRR) error { return nil }
func (discardSink) Metric(metrics.MetricRow) error        { return nil }
func (discardSink) Cohort(metrics.CohortRow) error        { return nil }

// peakHeap samples the in-use heap every few milliseconds until stop is called and
// returns the largest sample.
func peakHeap() (stop func() uint64) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// BenchmarkMetricsInput computes the metrics of generated customers stored in DuckDB,
// reading them streamed by customer (WarehouseInput) or all at once (the Dataset
// fallback), and reports the peak in-use heap: flat in the number of customers when
// streamed, linear when loaded. BENCH_INPUT_CUSTOMERS sets the sizes (default
// "5000,20000").
func BenchmarkMetricsInput(b *testing.B) {
	sizes := []int{5000, 20000}
	if s := os.Getenv("BENCH_INPUT_CUSTOMERS"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			require.NoError(b, err)
			sizes = append(sizes, n)
		}
	}
	asOf := canonical.NewDate(2025, 12, 31)
	settings := metrics.Settings{ReportingCurrency: "USD", AsOf: asOf, Dimensions: []string{"country", "plan"}}
	parent := b
	for _, n := range sizes {
		var wh warehouse.Warehouse
		// setup loads the data once per size; its files live as long as the parent.
		setup := func(b *testing.B) {
			if wh != nil {
				return
			}
			cfg := generatedConfig(parent, n)
			cfg.Sources = cfg.Sources[:1]
			w, err := duckdb.Open(context.Background(), filepath.Join(parent.TempDir(), "revsync.duckdb"))
			require.NoError(b, err)
			parent.Cleanup(func() { w.Close() })
			require.NoError(b, w.Migrate(context.Background()))
			_, err = Run(context.Background(), Options{Config: cfg, Registry: testRegistry(), Warehouse: w, AsOf: asOf})
			require.NoError(b, err)
			wh = w
		}
		for _, mode := range []string{"streamed", "dataset"} {
			b.Run(fmt.Sprintf("customers=%d/%s", n, mode), func(b *testing.B) {
				setup(b)
				b.ReportAllocs()
				var peak uint64
				for b.Loop() {
					runtime.GC()
					stop := peakHeap()
					var in metrics.Input
					if mode == "streamed" {
						in, _ = NewWarehouseInput(wh)
					} else {
						ds, err := datasetInput(context.Background(), wh)
						require.NoError(b, err)
						in = ds
					}
					sum, err := metrics.Compute(context.Background(), settings, in, discardSink{})
					require.NoError(b, err)
					require.Equal(b, n, sum.CustomersProcessed-1, "every customer and (revenue)")
					peak = max(peak, stop())
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
			})
		}
	}
}
