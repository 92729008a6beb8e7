package host_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/example/billing"
	"github.com/revsync/revsync/plugins/host"
)

// writeExport writes a synthetic Ledgerly export of n customers, each with one invoice
// of two lines and one payment: 5n records.
func writeExport(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	write := func(file string, line func(i int) string) {
		f, err := os.Create(filepath.Join(dir, file))
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for i := 0; i < n; i++ {
			fmt.Fprintln(w, line(i))
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	write("customers.jsonl", func(i int) string {
		return fmt.Sprintf(`{"id":"cus_%d","name":"Customer %d","email":"c%d@example.com","country":"US","city":"Austin","created_at":"2024-01-03T09:00:00Z","updated_at":"2024-01-03T09:00:00Z","metadata":{"tier":"gold","seats":%d}}`, i, i, i, i%50)
	})
	write("plans.jsonl", func(i int) string {
		return fmt.Sprintf(`{"id":"pln_%d","name":"Plan %d","interval":"month","every":1,"updated_at":"2024-01-01T00:00:00Z"}`, i, i)
	})
	write("invoices.jsonl", func(i int) string {
		return fmt.Sprintf(`{"id":"inv_%d","customer_id":"cus_%d","issued_on":"2024-01-03","due_on":"2024-01-17","currency":"usd","status":"paid","updated_at":"2024-01-04T10:00:00Z","lines":[{"id":"li_%d_1","kind":"recurring","subscription_id":"sub_%d","plan_id":"pln_%d","period_start":"2024-01-03","period_end":"2024-02-03","amount_cents":4900,"tax_cents":980,"quantity":1,"description":"Pro monthly"},{"id":"li_%d_2","kind":"charge","amount_cents":2500,"description":"Setup"}]}`, i, i, i, i, i, i)
	})
	write("transactions.jsonl", func(i int) string {
		return fmt.Sprintf(`{"id":"txn_%d","invoice_id":"inv_%d","kind":"payment","outcome":"succeeded","created_at":"2024-01-04T10:00:00Z","amount_cents":8380,"currency":"usd","updated_at":"2024-01-04T10:00:00Z"}`, i, i)
	})
	return dir
}

// benchEmitter counts records and, when parse is set, validates each one with
// canonical.Parse as the runner does.
type benchEmitter struct {
	parse bool
	n     int
}

func (e *benchEmitter) Record(_ context.Context, r connectors.Record) error {
	e.n++
	if e.parse {
		if _, err := canonical.Parse(r.Entity, "bench", r.Fields, r.Attributes); err != nil {
			return err
		}
	}
	return nil
}
func (e *benchEmitter) Reject(context.Context, canonical.Rejection) error        { return nil }
func (e *benchEmitter) Checkpoint(context.Context, string, string) error         { return nil }
func (e *benchEmitter) SnapshotComplete(context.Context, canonical.Entity) error { return nil }

// cpuSeconds returns the user+system CPU time of this process and its reaped children.
func cpuSeconds() float64 {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	sec := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return sec(self.Utime) + sec(self.Stime) + sec(children.Utime) + sec(children.Stime)
}

// BenchmarkRead compares a full read of the example connector in process with the same
// read through the plugin boundary (process launch, handshake, gRPC stream included),
// with a bare counting emitter and with the runner's canonical.Parse per record.
func BenchmarkRead(b *testing.B) {
	const customers = 20000
	dir := writeExport(b, customers)
	b.Setenv(host.PathEnv, "")
	plugin := host.NewConnector(host.Options{Dirs: []string{binDir}})
	for _, parse := range []bool{false, true} {
		emitter := "count"
		if parse {
			emitter = "parse"
		}
		for _, mode := range []string{"in-process", "plugin"} {
			b.Run(mode+"/"+emitter, func(b *testing.B) {
				b.ReportAllocs()
				var c connectors.Connector = billing.New()
				cfg := connectors.Config{Source: "bench", Settings: &billing.Settings{Dir: dir}}
				if mode == "plugin" {
					c = plugin
					cfg.Settings = &host.Settings{Plugin: "example", Config: map[string]any{"dir": dir}}
				}
				total := 0
				cpu0 := cpuSeconds()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					em := &benchEmitter{parse: parse}
					if err := c.Read(context.Background(), cfg, nil, em); err != nil {
						b.Fatal(err)
					}
					total += em.n
				}
				b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
				// CPU of this process and of its reaped children (the plugin processes):
				// steadier than wall time on a shared machine.
				b.ReportMetric(float64(total)/(cpuSeconds()-cpu0), "records/cpu-s")
			})
		}
	}
}
