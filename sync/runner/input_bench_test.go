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
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/internal/pgtest"
	"github.com/revsync/revsync/metrics"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/duckdb"
	"github.com/revsync/revsync/warehouse/postgres"
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
// streamed, linear when loaded, and the process's peak RSS during the runs (VmHWM,
// reset after the setup; DuckDB's memory included, a PostgreSQL server's not).
// BENCH_INPUT_CUSTOMERS sets the sizes (default "5000,20000"); BENCH_INPUT_POSTGRES=1
// adds the same on PostgreSQL (internal/pgtest); BENCH_INPUT_DUCKDB instead names an
// existing warehouse file holding generated data (as left by bench/pipeline.sh; copy it
// first, it is opened read-write).
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
	if path := os.Getenv("BENCH_INPUT_DUCKDB"); path != "" {
		w, err := duckdb.Open(context.Background(), path)
		require.NoError(b, err)
		b.Cleanup(func() { w.Close() })
		for _, mode := range []string{"streamed", "dataset"} {
			b.Run("file/"+mode, func(b *testing.B) { benchmarkInput(b, w, mode, settings, -1) })
		}
		return
	}
	type target struct {
		prefix string
		open   func() (warehouse.Warehouse, error)
	}
	targets := []target{{"", func() (warehouse.Warehouse, error) {
		return duckdb.Open(context.Background(), filepath.Join(parent.TempDir(), "revsync.duckdb"))
	}}}
	if os.Getenv("BENCH_INPUT_POSTGRES") == "1" {
		targets = append(targets, target{"postgres/", func() (warehouse.Warehouse, error) {
			return postgres.Open(context.Background(), pgtest.DSN(parent), pgtest.Schema(parent))
		}})
	}
	for _, tg := range targets {
		for _, n := range sizes {
			var wh warehouse.Warehouse
			// setup loads the data once per size; it lives as long as the parent.
			setup := func(b *testing.B) {
				if wh != nil {
					return
				}
				cfg := generatedConfig(parent, n)
				cfg.Sources = cfg.Sources[:1]
				w, err := tg.open()
				require.NoError(b, err)
				parent.Cleanup(func() { w.Close() })
				require.NoError(b, w.Migrate(context.Background()))
				_, err = Run(context.Background(), Options{Config: cfg, Registry: testRegistry(), Warehouse: w, AsOf: asOf})
				require.NoError(b, err)
				wh = w
			}
			for _, mode := range []string{"streamed", "dataset"} {
				b.Run(fmt.Sprintf("%scustomers=%d/%s", tg.prefix, n, mode), func(b *testing.B) {
					setup(b)
					benchmarkInput(b, wh, mode, settings, n)
				})
			}
		}
	}
}

// benchmarkInput computes the metrics of wh, streamed or through the Dataset, and
// reports the peak heap and RSS; customers, when not negative, is checked.
func benchmarkInput(b *testing.B, wh warehouse.Warehouse, mode string, settings metrics.Settings, customers int) {
	b.ReportAllocs()
	var peak uint64
	resetPeakRSS()
	cpu0 := cpuTime()
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
		if customers >= 0 {
			require.Equal(b, customers, sum.CustomersProcessed-1, "every customer and (revenue)")
		}
		peak = max(peak, stop())
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	if hwm, ok := peakRSS(); ok {
		b.ReportMetric(float64(hwm)/(1<<10), "peak-rss-MB")
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/run")
}

// cpuTime returns the process's user plus system CPU time (DuckDB's threads included),
// a steadier measure than wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the process's VmHWM to its current RSS (Linux ≥ 4.0), so that
// peakRSS covers what follows and not the setup.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns the process's peak resident set size in KiB (Linux VmHWM).
func peakRSS() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
