// Package generate writes a realistic synthetic CSV source (SPEC §1–§2, `revsync generate`):
// customers in four currencies on plans of several intervals, with trials, upgrades
// (prorated mid-period), downgrades, churn, reactivation, one-time charges, taxes,
// failed payments, refunds, credit notes, costs, revenue entries and daily fx_rates.
// Output is deterministic for a seed, and customers are generated one at a time and
// streamed to the files, so memory does not grow with the customer count. It only writes
// files: it never reads a source or touches a warehouse.
package generate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/revsync/revsync/canonical"
)

// Options configure a generated data set.
type Options struct {
	// Customers is the number of customers to generate (≥ 1).
	Customers int
	// Months is the length of the history in months; default 24. It sets Start when
	// Start is zero.
	Months int
	// Seed makes the output reproducible: the same options write byte-identical files.
	Seed int64
	// End is the last day of the history (the natural as_of); default 2025-12-31.
	End canonical.Date
	// Start is the first day of the history; default the first day of the month Months-1
	// months before End's month (24 months ending 2025-12-31 start on 2024-01-01).
	Start canonical.Date
	// Progress, when set, is called with the number of customers written so far after
	// every 10,000 customers and once at the end; it must not block for long.
	Progress func(customers int)
}

// Stats describes what Write wrote.
type Stats struct {
	// Start and End are the history's first and last days.
	Start, End canonical.Date
	// Rows counts data rows (header excluded) per entity file.
	Rows map[canonical.Entity]int64
	// Bytes is the total size of the files.
	Bytes int64
	// Features counts the business events generated (trial, upgrade, prorated_upgrade,
	// downgrade, churn, involuntary_churn, reactivation, ...), for tests and people.
	Features map[string]int64
}

// DefaultEnd is the default last day of the history.
var DefaultEnd = canonical.NewDate(2025, 12, 31)

// Defaults returns opts with defaults filled in.
func (o Options) Defaults() Options {
	if o.Months <= 0 {
		o.Months = 24
	}
	if o.End == 0 {
		o.End = DefaultEnd
	}
	if o.Start == 0 {
		o.Start = o.End.AddMonths(-(o.Months - 1))
	}
	return o
}

// Write generates a data set into dir (created when missing): one `<entity>.csv` per
// entity, readable by the CSV connector. Files are written under temporary names and
// renamed when everything succeeded, so a failed or cancelled run leaves no partial
// source behind.
func Write(ctx context.Context, dir string, opts Options) (Stats, error) {
	opts = opts.Defaults()
	if opts.Customers < 1 {
		return Stats{}, fmt.Errorf("generate: customers is %d: generate at least 1 customer", opts.Customers)
	}
	if opts.Start >= opts.End {
		return Stats{}, fmt.Errorf("generate: start %s is not before end %s", opts.Start, opts.End)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("generate: create folder %s: %w", dir, err)
	}
	g := &gen{opts: opts, features: map[string]int64{}, dates: newDateCache(opts.Start.AddDays(-400), opts.End.AddDays(800))}
	g.buildCatalog()
	files, err := g.open(dir)
	if err != nil {
		return Stats{}, err
	}
	runErr := g.run(ctx)
	for _, f := range files {
		if err := f.close(); runErr == nil {
			runErr = err
		}
	}
	if runErr != nil {
		for _, f := range files {
			_ = os.Remove(f.tmp)
		}
		return Stats{}, runErr
	}
	st := Stats{Start: opts.Start, End: opts.End, Rows: map[canonical.Entity]int64{}, Features: g.features}
	for e, f := range files {
		if err := f.commit(); err != nil {
			return Stats{}, err
		}
		st.Rows[e] = f.rows
		st.Bytes += f.bytes
	}
	return st, nil
}

// headers are the columns written per entity.
var headers = map[canonical.Entity][]string{
	canonical.Customers:      {"external_id", "name", "email", "company", "country", "state", "city", "created_at", "lead_created_at", "free_trial_started_at", "attr_segment", "attr_channel"},
	canonical.Products:       {"external_id", "name"},
	canonical.Plans:          {"external_id", "name", "interval_unit", "interval_count", "product_external_id", "attr_tier"},
	canonical.Subscriptions:  {"external_id", "customer_external_id", "plan_external_id", "status", "started_at", "trial_ends_at", "cancelled_at", "quantity"},
	canonical.Invoices:       {"external_id", "customer_external_id", "date", "currency", "due_date", "status"},
	canonical.InvoiceLines:   {"external_id", "invoice_external_id", "type", "subscription_external_id", "plan_external_id", "service_period_start", "service_period_end", "amount", "tax_amount", "discount_amount", "quantity", "prorated", "description"},
	canonical.Transactions:   {"external_id", "invoice_external_id", "type", "result", "date", "amount"},
	canonical.CreditNotes:    {"external_id", "invoice_external_id", "customer_external_id", "date", "amount", "currency", "reason"},
	canonical.RevenueEntries: {"external_id", "date", "amount", "currency", "type", "customer_external_id", "source_label", "note"},
	canonical.Costs:          {"external_id", "name", "amount", "currency", "category", "recurring", "date", "note"},
	canonical.FXRates:        {"date", "currency", "rate"},
}

// gen is one generation run.
type gen struct {
	opts     Options
	dates    *dateCache
	files    map[canonical.Entity]*csvFile
	features map[string]int64

	customers, products, plans, subscriptions, invoices, lines,
	transactions, creditNotes, revenue, costs, fx *csvFile

	plansByTier [][]int // tier -> interval -> plan index
	planList    []plan
}

func (g *gen) open(dir string) (map[canonical.Entity]*csvFile, error) {
	g.files = map[canonical.Entity]*csvFile{}
	for _, e := range canonical.Entities {
		f, err := createFile(dir, e, headers[e], g.dates)
		if err != nil {
			for _, o := range g.files {
				_ = o.close()
				_ = os.Remove(o.tmp)
			}
			return nil, err
		}
		g.files[e] = f
	}
	fs := g.files
	g.customers, g.products, g.plans, g.subscriptions = fs[canonical.Customers], fs[canonical.Products], fs[canonical.Plans], fs[canonical.Subscriptions]
	g.invoices, g.lines, g.transactions, g.creditNotes = fs[canonical.Invoices], fs[canonical.InvoiceLines], fs[canonical.Transactions], fs[canonical.CreditNotes]
	g.revenue, g.costs, g.fx = fs[canonical.RevenueEntries], fs[canonical.Costs], fs[canonical.FXRates]
	return fs, nil
}

// run writes everything: the catalog, then customer by customer, then the global files.
func (g *gen) run(ctx context.Context) error {
	g.writeCatalog()
	for i := range g.opts.Customers {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("generate: stopped after %d customers: %w", i, err)
			}
		}
		// Each customer has its own random stream, so customers are independent of one
		// another and of the order they are generated in.
		r := rand.New(rand.NewPCG(uint64(g.opts.Seed), uint64(i)+1))
		g.customer(r, i)
		if err := g.firstError(); err != nil {
			return err
		}
		if g.opts.Progress != nil && (i+1)%10_000 == 0 {
			g.opts.Progress(i + 1)
		}
	}
	if g.opts.Progress != nil && g.opts.Customers%10_000 != 0 {
		g.opts.Progress(g.opts.Customers)
	}
	r := rand.New(rand.NewPCG(uint64(g.opts.Seed), 0))
	g.writeFX(r)
	g.writeCosts(r)
	g.writeRevenueEntries(r)
	return g.firstError()
}

func (g *gen) firstError() error {
	var errs []error
	for _, e := range canonical.Entities {
		if f := g.files[e]; f.err != nil {
			errs = append(errs, fmt.Errorf("generate: write %s: %w", f.tmp, f.err))
		}
	}
	return errors.Join(errs...)
}

func (g *gen) count(feature string) { g.features[feature]++ }

// chance reports true with probability permille/1000.
func chance(r *rand.Rand, permille int) bool { return r.IntN(1000) < permille }
