package metrics

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/revsync/revsync/generate"
)

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// nullSink counts rows and drops them.
type nullSink struct{ rows int }

func (s *nullSink) Movement(Movement) error       { s.rows++; return nil }
func (s *nullSink) CustomerMRR(CustomerMRR) error { s.rows++; return nil }
func (s *nullSink) Metric(MetricRow) error        { s.rows++; return nil }
func (s *nullSink) Cohort(CohortRow) error        { s.rows++; return nil }

// BenchmarkEngine measures the engine alone on pre-built customers (generation and
// grouping excluded) with the plan and country dimensions.
func BenchmarkEngine(b *testing.B) {
	ref, cust := genSet(20000)
	lines := 0
	for _, cd := range cust {
		lines += len(cd.Lines)
	}
	s := Settings{ReportingCurrency: "USD", AsOf: genAsOf, Dimensions: []string{"plan", "country"}}
	in := sliceInput{ref, cust}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := Compute(context.Background(), s, in, &nullSink{}); err != nil {
			b.Fatal(err)
		}
	}
	el, cpu := time.Since(start).Seconds(), (cpuTime() - cpu0).Seconds()
	b.ReportMetric(float64(lines*b.N)/el, "lines/s")
	// On a shared machine wall time depends on the neighbours: lines per CPU-second ×
	// cores is the throughput the engine reaches when it has the cores to itself.
	b.ReportMetric(float64(lines*b.N)/cpu, "lines/cpu-s")
	b.ReportMetric(float64(len(cust)*b.N)/el, "customers/s")
}

// BenchmarkEngineMemory streams generated customers (never all in memory) and reports
// the peak heap per run: flat in the number of customers.
func BenchmarkEngineMemory(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(itoa(n), func(b *testing.B) {
			s := Settings{ReportingCurrency: "USD", AsOf: genAsOf, Dimensions: []string{"plan", "country"}}
			in := genInput{n: n, ref: genReference()}
			var peak uint64
			for i := 0; i < b.N; i++ {
				peak = measurePeak(func() {
					if _, err := Compute(context.Background(), s, in, &nullSink{}); err != nil {
						b.Fatal(err)
					}
				})
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// measurePeak runs fn while sampling the live heap every millisecond.
func measurePeak(fn func()) uint64 {
	runtime.GC()
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak {
					peak = ms.HeapAlloc
				}
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak
}

func itoa(n int) string {
	switch n {
	case 10000:
		return "customers=10k"
	case 100000:
		return "customers=100k"
	}
	return "n"
}

// BenchmarkEngineGenerated runs the engine on `revsync generate` data (package
// generate, 20,000 customers) loaded through the CSV connector; loading is not timed.
func BenchmarkEngineGenerated(b *testing.B) {
	dir := b.TempDir()
	opts := generate.Options{Customers: 20000, Seed: 1}.Defaults()
	if _, err := generate.Write(context.Background(), dir, opts); err != nil {
		b.Fatal(err)
	}
	ds := loadCase(b, dir)
	ref, err := ds.Reference(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	in := sliceInput{ref: ref}
	lines := 0
	_ = ds.Customers(context.Background(), func(cd *CustomerData) error {
		in.cust = append(in.cust, cd)
		lines += len(cd.Lines)
		return nil
	})
	s := Settings{ReportingCurrency: "USD", AsOf: opts.End, Dimensions: []string{"plan", "country"}}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := Compute(context.Background(), s, in, &nullSink{}); err != nil {
			b.Fatal(err)
		}
	}
	el, cpu := time.Since(start).Seconds(), (cpuTime() - cpu0).Seconds()
	b.ReportMetric(float64(lines*b.N)/el, "lines/s")
	b.ReportMetric(float64(lines*b.N)/cpu, "lines/cpu-s")
	b.ReportMetric(float64(lines), "lines")
}
