package csv

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
)

const lineHeader = "external_id,invoice_external_id,type,subscription_external_id,plan_external_id,service_period_start,service_period_end,amount,tax_amount,quantity,prorated,description\n"

// lineRows is an io.Reader producing an invoice_lines file of n rows lazily, so a test can
// stream far more data than it ever holds.
type lineRows struct {
	n, i int
	buf  []byte
}

func (r *lineRows) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.i > r.n {
			return 0, io.EOF
		}
		if r.i == 0 {
			r.buf = append(r.buf, lineHeader...)
		} else {
			r.buf = fmt.Appendf(r.buf, "li_%d,in_%d,subscription,sub_%d,pro-monthly,2024-01-01,2024-02-01,%d.00,0,1,false,\"Pro plan, monthly \"\"seat\"\"\"\n", r.i, r.i, r.i%977, r.i%500)
		}
		r.i++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// counter is an Emitter that counts and samples the heap.
type counter struct {
	records, rejects int
	maxHeap          uint64
}

func (c *counter) Record(_ context.Context, _ connectors.Record) error {
	c.records++
	if c.records%200_000 == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		c.maxHeap = max(c.maxHeap, ms.HeapInuse)
	}
	return nil
}

func (c *counter) Reject(context.Context, canonical.Rejection) error { c.rejects++; return nil }

func (c *counter) Checkpoint(context.Context, string, string) error { return nil }

func (c *counter) SnapshotComplete(context.Context, canonical.Entity) error { return nil }

// TestCSV_StreamsWithFlatMemory reads about 150 MB generated on the fly and checks that
// the heap stays small: a file is never loaded whole.
func TestCSV_StreamsWithFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 150 MB")
	}
	const rows = 1_200_000
	c := &counter{}
	err := readStream(context.Background(), "csv", "invoice_lines.csv", canonical.InvoiceLines, FileSettings{}, &lineRows{n: rows}, c)
	require.NoError(t, err)
	assert.Equal(t, rows, c.records)
	assert.Zero(t, c.rejects)
	assert.Less(t, c.maxHeap, uint64(32<<20), "heap in use while streaming")
}

// TestCSV_UnclosedQuoteKeepsMemoryBounded checks that a quote never closed does not swallow
// the rest of a large file into one record.
func TestCSV_UnclosedQuoteKeepsMemoryBounded(t *testing.T) {
	r := io.MultiReader(
		&lineRows{n: 10},
		stringsReader("li_x,in_x,one_time,,,,,\"1.00,0,1,false,broken\n"),
		&lineRows{n: 5000, i: 11},
	)
	c := &counter{}
	require.NoError(t, readStream(context.Background(), "csv", "invoice_lines.csv", canonical.InvoiceLines, FileSettings{}, r, c))
	assert.Equal(t, 1, c.rejects)
	assert.Equal(t, 10+4990, c.records)
}

func stringsReader(s string) io.Reader { return &lineRowsFixed{s: s} }

func TestCSV_OverlongLineIsRejectedAndReadingGoesOn(t *testing.T) {
	long := "p1," + strings.Repeat("x", maxRecordBytes+10) + "\n"
	r := stringsReader("external_id,name\n" + long + "p2,B\n")
	rec := &recorder{}
	require.NoError(t, readStream(context.Background(), "csv", "products.csv", canonical.Products, FileSettings{}, r, rec))
	require.Len(t, rec.rejects, 1)
	assert.Equal(t, "products.csv line 2: the line is longer than 8 MiB (only its start is kept)", rec.rejects[0].Reason)
	assert.Len(t, rec.rejects[0].Raw, longPrefix+len("…"))
	require.Len(t, rec.records, 1)
	assert.Equal(t, "products.csv line 3", rec.records[0].Origin)
}

type lineRowsFixed struct{ s string }

func (r *lineRowsFixed) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p, r.s)
	r.s = r.s[n:]
	return n, nil
}

// BenchmarkRead reads an invoice_lines.csv file through the connector.
func BenchmarkRead(b *testing.B) {
	const rows = 200_000
	dir := b.TempDir()
	path := filepath.Join(dir, "invoice_lines.csv")
	f, err := os.Create(path)
	require.NoError(b, err)
	_, err = io.Copy(f, &lineRows{n: rows})
	require.NoError(b, err)
	require.NoError(b, f.Close())
	info, err := os.Stat(path)
	require.NoError(b, err)
	cfg := connectors.Config{Source: "csv", Settings: &Settings{Path: dir}}
	b.SetBytes(info.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c := &counter{}
		if err := (Connector{}).Read(context.Background(), cfg, nil, c); err != nil {
			b.Fatal(err)
		}
		if c.records != rows {
			b.Fatal("read " + strconv.Itoa(c.records) + " rows")
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
