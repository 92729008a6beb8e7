package generate

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	csvconn "github.com/revsync/revsync/connectors/csv"
)

// loaded is a generated source read back through the CSV connector and canonical.Parse.
type loaded struct {
	records   map[canonical.Entity][]canonical.Record
	keys      map[canonical.Entity]map[string]bool
	rejects   []canonical.Rejection
	completed []canonical.Entity
}

func (l *loaded) Record(_ context.Context, r connectors.Record) error {
	rec, err := canonical.Parse(r.Entity, "gen", r.Fields, r.Attributes)
	if err != nil {
		l.rejects = append(l.rejects, canonical.Rejection{Entity: r.Entity, Reason: r.Origin + ": " + err.Error(), Raw: r.Raw})
		return nil
	}
	l.records[r.Entity] = append(l.records[r.Entity], rec)
	if l.keys[r.Entity] == nil {
		l.keys[r.Entity] = map[string]bool{}
	}
	l.keys[r.Entity][rec.Key().ExternalID] = true
	return nil
}

func (l *loaded) Reject(_ context.Context, r canonical.Rejection) error {
	l.rejects = append(l.rejects, r)
	return nil
}

func (l *loaded) Checkpoint(context.Context, string, string) error { return nil }

func (l *loaded) SnapshotComplete(_ context.Context, e canonical.Entity) error {
	l.completed = append(l.completed, e)
	return nil
}

func load(t *testing.T, dir string) *loaded {
	t.Helper()
	l := &loaded{records: map[canonical.Entity][]canonical.Record{}, keys: map[canonical.Entity]map[string]bool{}}
	cfg := connectors.Config{Source: "gen", Settings: &csvconn.Settings{Path: dir}}
	require.NoError(t, csvconn.Connector{}.Read(context.Background(), cfg, nil, l))
	return l
}

func hashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		h := sha256.New()
		_, err = io.Copy(h, f)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		out[e.Name()] = fmt.Sprintf("%x", h.Sum(nil))
	}
	return out
}

func TestWrite_SameSeedWritesIdenticalFiles(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	opts := Options{Customers: 300, Seed: 42}
	stA, err := Write(context.Background(), a, opts)
	require.NoError(t, err)
	stB, err := Write(context.Background(), b, opts)
	require.NoError(t, err)
	_, err = Write(context.Background(), c, Options{Customers: 300, Seed: 43})
	require.NoError(t, err)

	assert.Equal(t, stA, stB)
	assert.Equal(t, hashes(t, a), hashes(t, b))
	assert.NotEqual(t, hashes(t, a)["invoices.csv"], hashes(t, c)["invoices.csv"])
	assert.Len(t, hashes(t, a), len(canonical.Entities), "one file per entity, no temporary files left")
}

func TestWrite_CustomersAreIndependentOfTheCount(t *testing.T) {
	// Customer i's history depends only on the seed and i: a bigger data set extends a
	// smaller one, which keeps samples comparable.
	small, big := t.TempDir(), t.TempDir()
	_, err := Write(context.Background(), small, Options{Customers: 50, Seed: 7})
	require.NoError(t, err)
	_, err = Write(context.Background(), big, Options{Customers: 80, Seed: 7})
	require.NoError(t, err)
	s, err := os.ReadFile(filepath.Join(small, "invoices.csv"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(big, "invoices.csv"))
	require.NoError(t, err)
	assert.Equal(t, string(s), string(b[:len(s)]))
}

func TestWrite_OutputIsAValidCSVSource(t *testing.T) {
	dir := t.TempDir()
	st, err := Write(context.Background(), dir, Options{Customers: 2000, Seed: 1})
	require.NoError(t, err)
	l := load(t, dir)

	require.Empty(t, l.rejects, "first rejections: %v", first(l.rejects, 5))
	assert.Equal(t, canonical.Entities, l.completed)
	for _, e := range canonical.Entities {
		assert.Equal(t, st.Rows[e], int64(len(l.records[e])), "rows of %s", e)
		assert.NotZero(t, st.Rows[e], "%s is empty", e)
	}
	assert.Equal(t, int64(2000), st.Rows[canonical.Customers])

	for e, recs := range l.records {
		for _, r := range recs {
			for _, ref := range canonical.References(r) {
				assert.True(t, l.keys[ref.Entity][ref.ExternalID], "%s %s: %s %q not found", e, r.Key().ExternalID, ref.Field, ref.ExternalID)
			}
		}
	}

	// Every subscription line names a subscription record, and every non-USD day that a
	// metric converts has a rate on or before it.
	rates := map[string]canonical.Date{}
	for _, r := range l.records[canonical.FXRates] {
		fx := r.(*canonical.FXRate)
		if d, ok := rates[fx.Currency]; !ok || fx.Date < d {
			rates[fx.Currency] = fx.Date
		}
	}
	invoices := map[string]*canonical.Invoice{}
	for _, r := range l.records[canonical.Invoices] {
		inv := r.(*canonical.Invoice)
		invoices[inv.ExternalID] = inv
		if inv.Currency != "USD" {
			first, ok := rates[inv.Currency]
			assert.True(t, ok && first <= inv.Date, "no %s rate on or before %s", inv.Currency, inv.Date)
		}
	}
	totals := map[string]int64{}
	for _, r := range l.records[canonical.InvoiceLines] {
		li := r.(*canonical.InvoiceLine)
		if li.SubscriptionExternalID != "" {
			assert.True(t, l.keys[canonical.Subscriptions][li.SubscriptionExternalID], "line %s: subscription %s", li.ExternalID, li.SubscriptionExternalID)
		}
		cur := invoices[li.InvoiceExternalID].Currency
		minor, err := canonical.ToMinor(li.Amount, cur)
		require.NoError(t, err)
		totals[li.InvoiceExternalID] += minor
		tax, err := canonical.ToMinor(li.TaxAmount, cur)
		require.NoError(t, err)
		assert.False(t, minor < 0 && tax > 0 || minor > 0 && tax < 0, "line %s: tax of the opposite sign", li.ExternalID)
	}
	for _, r := range l.records[canonical.Transactions] {
		tx := r.(*canonical.Transaction)
		if tx.Amount == nil {
			continue
		}
		minor, err := canonical.ToMinor(*tx.Amount, invoices[tx.InvoiceExternalID].Currency)
		require.NoError(t, err)
		assert.LessOrEqual(t, minor, totals[tx.InvoiceExternalID], "transaction %s exceeds its invoice", tx.ExternalID)
	}
	for _, r := range l.records[canonical.Subscriptions] {
		s := r.(*canonical.Subscription)
		if s.Status == "canceled" {
			assert.NotNil(t, s.CancelledAt, "subscription %s canceled without cancelled_at", s.ExternalID)
		}
	}
}

func TestWrite_CoversEveryFeature(t *testing.T) {
	dir := t.TempDir()
	st, err := Write(context.Background(), dir, Options{Customers: 2000, Seed: 3})
	require.NoError(t, err)
	for _, f := range []string{"trial", "trial_converted", "trial_abandoned", "upgrade", "prorated_upgrade", "downgrade",
		"seat_expansion", "seat_contraction", "interval_change", "churn", "immediate_cancel", "involuntary_churn",
		"reactivation", "one_time", "discount", "void", "open", "uncollectible", "failed_payment", "refund",
		"credit_note", "credit_note_goodwill"} {
		assert.Positive(t, st.Features[f], "feature %s never generated", f)
	}

	l := load(t, dir)
	seen := map[string]bool{}
	mark := func(k string) { seen[k] = true }
	for _, r := range l.records[canonical.Plans] {
		p := r.(*canonical.Plan)
		mark(fmt.Sprintf("interval %d %s", p.IntervalCount, p.IntervalUnit))
	}
	for _, r := range l.records[canonical.Invoices] {
		inv := r.(*canonical.Invoice)
		mark("currency " + inv.Currency)
		mark("invoice " + inv.Status)
	}
	for _, r := range l.records[canonical.InvoiceLines] {
		li := r.(*canonical.InvoiceLine)
		mark("line " + li.Type)
		if li.Prorated {
			mark("prorated")
		}
		if li.Amount.IsNegative() {
			mark("negative line")
		}
		if li.TaxAmount.IsPositive() {
			mark("tax")
		}
		if li.DiscountAmount.IsPositive() {
			mark("discount")
		}
		if li.Quantity > 1 {
			mark("seats")
		}
	}
	for _, r := range l.records[canonical.Transactions] {
		tx := r.(*canonical.Transaction)
		mark("transaction " + tx.Type + " " + tx.Result)
		if tx.Amount == nil {
			mark("transaction default amount")
		}
	}
	for _, r := range l.records[canonical.Costs] {
		mark("cost " + r.(*canonical.Cost).Category)
	}
	for _, r := range l.records[canonical.RevenueEntries] {
		mark("revenue " + r.(*canonical.RevenueEntry).Type)
	}
	for _, r := range l.records[canonical.FXRates] {
		mark("fx " + r.(*canonical.FXRate).Currency)
	}
	for _, r := range l.records[canonical.Subscriptions] {
		mark("subscription " + r.(*canonical.Subscription).Status)
	}
	for _, r := range l.records[canonical.Customers] {
		if r.Header().Attributes["segment"] != nil {
			mark("segment")
		}
	}
	for _, want := range []string{
		"interval 1 week", "interval 1 month", "interval 3 month", "interval 1 year",
		"currency USD", "currency EUR", "currency GBP", "currency JPY",
		"invoice paid", "invoice open", "invoice void", "invoice uncollectible",
		"line subscription", "line trial", "line one_time", "prorated", "negative line", "tax", "discount", "seats",
		"transaction payment successful", "transaction payment failed", "transaction refund successful", "transaction default amount",
		"cost INFRASTRUCTURE", "cost THIRD_PARTY", "cost MARKETING", "cost TOOLS", "cost OTHER",
		"revenue advertising", "revenue one_time", "revenue refund",
		"fx EUR", "fx GBP", "fx JPY",
		"subscription active", "subscription canceled", "subscription past_due",
		"segment",
	} {
		assert.True(t, seen[want], "%s never appears in the output", want)
	}
}

func TestWrite_FXRatesCoverEveryDay(t *testing.T) {
	dir := t.TempDir()
	st, err := Write(context.Background(), dir, Options{Customers: 1, Months: 3, Seed: 1, End: canonical.NewDate(2024, 3, 31)})
	require.NoError(t, err)
	assert.Equal(t, canonical.NewDate(2024, 1, 1), st.Start)
	assert.Equal(t, int64(3*91), st.Rows[canonical.FXRates])
}

func TestWrite_RejectsBadOptions(t *testing.T) {
	_, err := Write(context.Background(), t.TempDir(), Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at least 1 customer")
}

func TestWrite_CancelledLeavesNoFiles(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Write(ctx, dir, Options{Customers: 10})
	require.ErrorIs(t, err, context.Canceled)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestAppendMinor_MatchesFormatMinor(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		cur   string
	}{{0, "USD"}, {5, "USD"}, {-5, "USD"}, {123456, "EUR"}, {-100, "GBP"}, {4350, "JPY"}, {-7, "JPY"}, {1005, "BHD"}} {
		assert.Equal(t, canonical.FormatMinor(tc.minor, tc.cur), string(appendMinor(nil, tc.minor, canonical.Exponent(tc.cur))))
	}
}

func first(r []canonical.Rejection, n int) []canonical.Rejection {
	return r[:min(n, len(r))]
}

// BenchmarkWrite measures generation throughput in customers per second.
func BenchmarkWrite(b *testing.B) {
	const customers = 5000
	dir := b.TempDir()
	b.ReportAllocs()
	var bytes int64
	for range b.N {
		st, err := Write(context.Background(), dir, Options{Customers: customers, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		bytes = st.Bytes
	}
	b.SetBytes(bytes)
	b.ReportMetric(float64(customers)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
}

func TestWrite_ReportsProgress(t *testing.T) {
	var seen []int
	_, err := Write(context.Background(), t.TempDir(), Options{Customers: 20_500, Months: 2, Seed: 1, Progress: func(n int) { seen = append(seen, n) }})
	require.NoError(t, err)
	assert.Equal(t, []int{10_000, 20_000, 20_500}, seen)
}

func TestWrite_SmallAndOddHistoriesAreValid(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"one customer, one month", Options{Customers: 1, Months: 1, Seed: 5}},
		{"leap day end", Options{Customers: 40, Months: 2, Seed: 6, End: canonical.NewDate(2024, 2, 29)}},
		{"explicit start mid-month", Options{Customers: 40, Seed: 7, Start: canonical.NewDate(2023, 5, 17), End: canonical.NewDate(2023, 9, 30)}},
		{"ten years", Options{Customers: 30, Months: 120, Seed: 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := Write(context.Background(), dir, tc.opts)
			require.NoError(t, err)
			l := load(t, dir)
			require.Empty(t, l.rejects, "first rejections: %v", first(l.rejects, 5))
			assert.Equal(t, int64(tc.opts.Customers), st.Rows[canonical.Customers])
			for _, r := range l.records[canonical.Invoices] {
				d := r.(*canonical.Invoice).Date
				assert.True(t, d >= st.Start && d <= st.End, "invoice dated %s outside %s..%s", d, st.Start, st.End)
			}
		})
	}
}
