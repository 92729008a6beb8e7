package runner

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/config"
	csvconn "github.com/revsync/revsync/connectors/csv"
	"github.com/revsync/revsync/generate"
	"github.com/revsync/revsync/metrics"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/sqlstore"
	"github.com/revsync/revsync/warehouse/warehousetest"
)

// rec parses a record from "field=value" pairs.
func rec(t *testing.T, e canonical.Entity, source string, kv ...string) canonical.Record {
	t.Helper()
	fields := map[string]string{}
	for _, p := range kv {
		k, v, ok := strings.Cut(p, "=")
		require.True(t, ok, p)
		fields[k] = v
	}
	return warehousetest.Parse(t, e, source, fields, nil)
}

// ownershipRecords exercises every ownership rule, keys whose byte order differs from
// a human collation ("B" < "a", "c10" < "c9", "Zed" < "zed" < "é"), two sources sharing
// external ids, and lines, transactions and credit notes whose invoice is not stored.
func ownershipRecords(t *testing.T) []canonical.Record {
	var out []canonical.Record
	add := func(e canonical.Entity, source string, kv ...string) { out = append(out, rec(t, e, source, kv...)) }
	for _, id := range []string{"c9", "c10", "Zed", "zed", "é"} {
		add(canonical.Customers, "a", "external_id="+id)
	}
	add(canonical.Customers, "B", "external_id=c1")
	add(canonical.Subscriptions, "a", "external_id=s1", "customer_external_id=c9")
	add(canonical.Subscriptions, "a", "external_id=s2", "customer_external_id=c10")
	add(canonical.Subscriptions, "a", "external_id=s3", "customer_external_id=Zed")
	add(canonical.Subscriptions, "a", "external_id=s0", "customer_external_id=ghost") // customer not stored
	inv := func(source, id, customer string) {
		add(canonical.Invoices, source, "external_id="+id, "customer_external_id="+customer, "date=2024-01-01", "currency=USD")
	}
	inv("a", "i1", "c9")
	inv("a", "i2", "c10")
	inv("a", "i3", "é")
	inv("B", "i1", "c1") // same id as a/i1, other customer
	line := func(source, id, invoice string) {
		add(canonical.InvoiceLines, source, "external_id="+id, "invoice_external_id="+invoice, "type=one_time", "amount=1")
	}
	line("a", "l1", "i2")
	line("a", "l2", "i1")
	line("a", "l3", "i3")
	line("a", "l4", "missing")
	line("B", "l1", "i1")
	txn := func(source, id, invoice string) {
		add(canonical.Transactions, source, "external_id="+id, "invoice_external_id="+invoice, "type=payment", "date=2024-01-02")
	}
	txn("a", "t1", "i3")
	txn("a", "t2", "i1")
	txn("a", "t3", "missing")
	txn("B", "t1", "i1")
	cn := func(source, id string, kv ...string) {
		add(canonical.CreditNotes, source, append([]string{"external_id=" + id, "date=2024-01-03", "amount=1", "currency=USD"}, kv...)...)
	}
	cn("a", "cn1", "customer_external_id=zed")
	cn("a", "cn2", "invoice_external_id=i2")
	cn("a", "cn3")
	cn("a", "cn4", "invoice_external_id=missing")
	cn("a", "cn5", "customer_external_id=c9", "invoice_external_id=i3")
	cn("B", "cn1", "invoice_external_id=i1")
	rev := func(source, id string, kv ...string) {
		add(canonical.RevenueEntries, source, append([]string{"external_id=" + id, "date=2024-01-04", "amount=1", "currency=USD", "type=other"}, kv...)...)
	}
	rev("a", "r1", "customer_external_id=Zed")
	rev("a", "r2")
	rev("B", "r1")
	add(canonical.Plans, "a", "external_id=p", "name=P", "interval_unit=month")
	return out
}

// pagedDialect makes ScanByOwner read page customers per query.
type pagedDialect struct {
	sqlstore.Dialect
	page int
}

func (d pagedDialect) OwnerPage() int { return d.page }

type ownedRow struct {
	Owner canonical.Key
	ID    string
}

// expectedOwned applies metrics.OwnerOf to records and orders the result the way
// ScanByOwner must: by owner, then external_id.
func expectedOwned(records []canonical.Record) map[canonical.Entity][]ownedRow {
	invoices := map[canonical.Key]string{}
	for _, r := range records {
		if x, ok := r.(*canonical.Invoice); ok {
			invoices[x.Key()] = x.CustomerExternalID
		}
	}
	invoiceCustomer := func(source, id string) (string, bool) {
		c, ok := invoices[canonical.Key{Source: source, ExternalID: id}]
		return c, ok
	}
	out := map[canonical.Entity][]ownedRow{}
	for _, r := range records {
		if owner, ok := metrics.OwnerOf(r, invoiceCustomer); ok {
			out[r.Entity()] = append(out[r.Entity()], ownedRow{owner, r.Key().ExternalID})
		}
	}
	for _, rows := range out {
		slices.SortFunc(rows, func(a, b ownedRow) int {
			if c := compareKeys(a.Owner, b.Owner); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
	}
	return out
}

func write(t *testing.T, wh warehouse.Warehouse, records []canonical.Record) {
	t.Helper()
	ctx := context.Background()
	tx, err := wh.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Upsert(ctx, "run-1", records))
	require.NoError(t, tx.Commit())
}

func TestScanByOwner_OrdersByOwnerAndAppliesTheOwnershipRules(t *testing.T) {
	require.Equal(t, metrics.RevenueCustomer, warehouse.RevenueOwner)
	for _, wo := range openers {
		t.Run(wo.name, func(t *testing.T) {
			wh := wo.open(t)
			records := ownershipRecords(t)
			write(t, wh, records)
			scanner, ok := wh.(warehouse.OwnerScanner)
			require.True(t, ok, "%T implements warehouse.OwnerScanner", wh)
			want := expectedOwned(records)
			for _, e := range warehouse.OwnedEntities {
				var got []ownedRow
				err := scanner.ScanByOwner(context.Background(), e, func(owner canonical.Key, r canonical.Record) error {
					require.Equal(t, e, r.Entity())
					got = append(got, ownedRow{owner, r.Key().ExternalID})
					return nil
				})
				require.NoError(t, err, e)
				assert.Equal(t, want[e], got, e)
			}

			// Spot checks of the rules, independent of metrics.OwnerOf.
			k := func(source, id string) canonical.Key { return canonical.Key{Source: source, ExternalID: id} }
			assert.Equal(t, []ownedRow{{k("B", "c1"), "cn1"}, {k("a", "(revenue)"), "cn3"}, {k("a", "(revenue)"), "cn4"},
				{k("a", "c10"), "cn2"}, {k("a", "c9"), "cn5"}, {k("a", "zed"), "cn1"}}, want[canonical.CreditNotes])
			assert.Equal(t, []ownedRow{{k("B", "c1"), "l1"}, {k("a", "c10"), "l1"}, {k("a", "c9"), "l2"}, {k("a", "é"), "l3"}},
				want[canonical.InvoiceLines], "l4's invoice is not stored")

			// The same by ranges of customers (sqlstore.OwnerPager), whatever the range size.
			st := wh.(interface {
				DB() *sql.DB
				Dialect() sqlstore.Dialect
			})
			for _, page := range []int{1, 2, 3, 100} {
				paged := sqlstore.New(st.DB(), pagedDialect{st.Dialect(), page}) // not closed: it shares wh's pool
				for _, e := range warehouse.OwnedEntities {
					var got []ownedRow
					err := paged.ScanByOwner(context.Background(), e, func(owner canonical.Key, r canonical.Record) error {
						got = append(got, ownedRow{owner, r.Key().ExternalID})
						return nil
					})
					require.NoError(t, err, e)
					assert.Equal(t, want[e], got, "%s by %d customers", e, page)
				}
			}

			err := scanner.ScanByOwner(context.Background(), canonical.Plans, func(canonical.Key, canonical.Record) error { return nil })
			require.ErrorContains(t, err, `"plans" is not an entity owned by customers`)

			stop := errors.New("stop")
			n := 0
			err = scanner.ScanByOwner(context.Background(), canonical.Customers, func(canonical.Key, canonical.Record) error {
				n++
				return stop
			})
			require.ErrorIs(t, err, stop)
			assert.Equal(t, 1, n, "fn's error stops the scan")
		})
	}
}

// collectCustomers returns every CustomerData in's Customers yields.
func collectCustomers(t *testing.T, in metrics.Input) []*metrics.CustomerData {
	t.Helper()
	var out []*metrics.CustomerData
	require.NoError(t, in.Customers(context.Background(), func(cd *metrics.CustomerData) error {
		out = append(out, cd)
		return nil
	}))
	return out
}

func TestWarehouseInput_GroupsLikeTheDataset(t *testing.T) {
	for _, wo := range openers {
		t.Run(wo.name, func(t *testing.T) {
			wh := wo.open(t)
			write(t, wh, ownershipRecords(t))
			in, ok := NewWarehouseInput(wh)
			require.True(t, ok)
			ds, err := datasetInput(context.Background(), wh)
			require.NoError(t, err)
			want := collectCustomers(t, ds)
			got := collectCustomers(t, in)
			require.Equal(t, want, got)
			keys := make([]string, len(got))
			for i, cd := range got {
				keys[i] = cd.Key.Source + "/" + cd.Key.ExternalID
			}
			assert.Equal(t, []string{"B/(revenue)", "B/c1", "a/(revenue)", "a/Zed", "a/c10", "a/c9", "a/ghost", "a/zed", "a/é"}, keys)
		})
	}
}

// recordingSink keeps every result row.
type recordingSink struct {
	movements []metrics.Movement
	mrr       []metrics.CustomerMRR
	rows      []metrics.MetricRow
	cohorts   []metrics.CohortRow
}

func (s *recordingSink) Movement(m metrics.Movement) error {
	s.movements = append(s.movements, m)
	return nil
}
func (s *recordingSink) CustomerMRR(c metrics.CustomerMRR) error {
	s.mrr = append(s.mrr, c)
	return nil
}
func (s *recordingSink) Metric(r metrics.MetricRow) error { s.rows = append(s.rows, r); return nil }
func (s *recordingSink) Cohort(c metrics.CohortRow) error {
	s.cohorts = append(s.cohorts, c)
	return nil
}

// hiddenOwnerScanner hides the warehouse's OwnerScanner, forcing the Dataset path.
type hiddenOwnerScanner struct{ warehouse.Warehouse }

// generatedConfig generates customers into a directory read by two CSV sources (so
// that external ids repeat across sources).
func generatedConfig(t testing.TB, customers int) *config.Config {
	dir := t.TempDir()
	_, err := generate.Write(context.Background(), dir, generate.Options{Customers: customers, Seed: 7})
	require.NoError(t, err)
	cfg := csvConfig(dir, config.Metrics{ReportingCurrency: "USD", SubscriptionEnd: "service_period", Dimensions: []string{"country", "plan"}})
	cfg.Sources = append(cfg.Sources, config.Source{Name: "bis", Type: "csv", Settings: &csvconn.Settings{Path: dir}})
	return cfg
}

// publishedTables reads every result table in a fixed order.
func publishedTables(t *testing.T, wh warehouse.Warehouse) map[string][][]*string {
	out := map[string][][]*string{}
	for _, tb := range warehouse.ResultTables() {
		cols := strings.Join(tb.ColumnNames(), ", ")
		res, err := wh.Query(context.Background(), "SELECT "+cols+" FROM "+tb.Name+" ORDER BY "+cols)
		require.NoError(t, err)
		out[tb.Name] = res.Rows
	}
	return out
}

func TestWarehouseInput_SameResultsAsTheDatasetOnGeneratedData(t *testing.T) {
	cfg := generatedConfig(t, 300)
	asOf := canonical.NewDate(2025, 12, 31)
	for _, wo := range openers {
		t.Run(wo.name, func(t *testing.T) {
			wh := wo.open(t)
			ctx := context.Background()

			// The whole pipeline through the Dataset fallback, then streamed.
			_, err := Run(ctx, Options{Config: cfg, Registry: testRegistry(), Warehouse: hiddenOwnerScanner{wh}, AsOf: asOf})
			require.NoError(t, err)
			viaDataset := publishedTables(t, wh)
			sum, err := Run(ctx, Options{Config: cfg, Registry: testRegistry(), Warehouse: wh, AsOf: asOf})
			require.NoError(t, err)
			require.Greater(t, sum.Metrics.Customers, 100)
			streamed := publishedTables(t, wh)
			require.NotEmpty(t, streamed[warehouse.MRRMovements.Name])
			for _, tb := range warehouse.ResultTables() {
				require.Equal(t, viaDataset[tb.Name], streamed[tb.Name], tb.Name)
			}

			// The inputs themselves: same reference data, same customers, same rows.
			in, ok := NewWarehouseInput(wh)
			require.True(t, ok)
			ds, err := datasetInput(ctx, wh)
			require.NoError(t, err)
			wantRef, err := ds.Reference(ctx)
			require.NoError(t, err)
			gotRef, err := in.Reference(ctx)
			require.NoError(t, err)
			require.Equal(t, wantRef, gotRef)
			want, got := collectCustomers(t, ds), collectCustomers(t, in)
			require.Equal(t, len(want), len(got))
			for i := range want {
				require.Equal(t, want[i], got[i], "customer %d", i)
			}
			settings := metrics.Settings{ReportingCurrency: "USD", AsOf: asOf, Dimensions: []string{"country", "plan"}}
			var a, b recordingSink
			sa, err := metrics.Compute(ctx, settings, ds, &a)
			require.NoError(t, err)
			sb, err := metrics.Compute(ctx, settings, in, &b)
			require.NoError(t, err)
			require.Equal(t, sa, sb)
			require.Equal(t, a, b)
		})
	}
}

// misorderedScanner gives invoice a/i3 an owner that breaks the stream's order.
type misorderedScanner struct {
	warehouse.Warehouse
	inner warehouse.OwnerScanner
}

func (m misorderedScanner) ScanByOwner(ctx context.Context, e canonical.Entity, fn func(canonical.Key, canonical.Record) error) error {
	return m.inner.ScanByOwner(ctx, e, func(owner canonical.Key, r canonical.Record) error {
		if r.Key() == (canonical.Key{Source: "a", ExternalID: "i3"}) {
			owner.ExternalID = "0" // before a/c10 and a/c9, which came first
		}
		return fn(owner, r)
	})
}

func TestWarehouseInput_Errors(t *testing.T) {
	wh := openers[0].open(t)
	write(t, wh, ownershipRecords(t))
	ctx := context.Background()

	in, ok := NewWarehouseInput(misorderedScanner{wh, wh.(warehouse.OwnerScanner)})
	require.True(t, ok)
	err := in.Customers(ctx, func(*metrics.CustomerData) error { return nil })
	require.ErrorContains(t, err, "reading invoices for the metrics: the warehouse returned customer")
	require.ErrorContains(t, err, "records must come in byte order")

	in, _ = NewWarehouseInput(wh)
	stop := errors.New("engine stopped")
	n := 0
	err = in.Customers(ctx, func(*metrics.CustomerData) error { n++; return stop })
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = in.Customers(cctx, func(*metrics.CustomerData) error { return nil })
	require.ErrorIs(t, err, context.Canceled)

	_, ok = NewWarehouseInput(hiddenOwnerScanner{wh})
	assert.False(t, ok)
}
