package metrics

import (
	"context"

	"github.com/revsync/revsync/canonical"
	"github.com/shopspring/decimal"
)

// The values of Settings.SubscriptionEnd (SPEC §3).
const (
	EndServicePeriod = "service_period"
	EndCancellation  = "cancellation"
)

// Names used in result rows.
const (
	// All is the dimension and segment of the whole-business rows.
	All = "all"
	// NoneSegment is the segment of records without a value for a dimension.
	NoneSegment = "(none)"
	// RevenueCustomer owns subscription-type revenue entries that name no customer.
	RevenueCustomer = "(revenue)"
	// CostCategory is the dimension of the per-category cost rows.
	CostCategory = "cost_category"
)

// The movement types of SPEC §4.
const (
	NewBusiness  = "new_business"
	Expansion    = "expansion"
	Contraction  = "contraction"
	Churn        = "churn"
	Reactivation = "reactivation"
	FXAdjustment = "fx_adjustment"
)

// Settings are the `metrics:` settings of SPEC §3.
type Settings struct {
	// ReportingCurrency is the currency of every reported amount; default "USD".
	ReportingCurrency string
	// SubscriptionEnd is "service_period" (default) or "cancellation".
	SubscriptionEnd string
	// ExcludeUnpaid ignores open and uncollectible invoices.
	ExcludeUnpaid bool
	// AsOf is the last day computed.
	AsOf canonical.Date
	// Dimensions lists the breakdowns: plan, product, billing_interval, currency,
	// subscription.<attr>, plan.<attr>, or a customer field/attribute (country, segment,
	// customer.<attr>).
	Dimensions []string
	// Workers is the number of customers processed in parallel; 0 means GOMAXPROCS.
	Workers int
}

// Reference is the data that belongs to no customer.
type Reference struct {
	Plans    map[canonical.Key]*canonical.Plan
	Products map[canonical.Key]*canonical.Product
	FXRates  []*canonical.FXRate
	Costs    []*canonical.Cost
}

// CustomerData is one customer with every record that belongs to it. Customer is nil
// when no customer record exists (for example the "(revenue)" customer). Lines and
// transactions belong to the customer of their invoice; revenue entries without a
// customer belong to "(revenue)" of their source (OwnerOf applies these rules; Add
// files a record). Slices are best delivered sorted by external_id (the engine sorts
// Invoices and Subscriptions itself when they are not).
type CustomerData struct {
	Key            canonical.Key
	Customer       *canonical.Customer
	Subscriptions  []*canonical.Subscription
	Invoices       []*canonical.Invoice
	Lines          []*canonical.InvoiceLine
	Transactions   []*canonical.Transaction
	CreditNotes    []*canonical.CreditNote
	RevenueEntries []*canonical.RevenueEntry
}

// Input streams the canonical data: reference data first, then customers in key order.
type Input interface {
	// Reference returns plans, products, fx rates and costs.
	Reference(ctx context.Context) (*Reference, error)
	// Customers calls fn for every customer in (source, external_id) order. The engine
	// may keep a CustomerData until it has processed it: pass a fresh value each call.
	Customers(ctx context.Context, fn func(*CustomerData) error) error
}

// Sink receives result rows. Compute calls it from one goroutine at a time, movements
// and customer MRR rows first (in customer key order), then metric and cohort rows.
type Sink interface {
	Movement(Movement) error
	CustomerMRR(CustomerMRR) error
	Metric(MetricRow) error
	Cohort(CohortRow) error
}

// Movement is one row of mrr_movements; money in minor units of Currency.
type Movement struct {
	Date               canonical.Date
	Source             string
	CustomerExternalID string
	Type               string
	MRRBefore          int64
	MRRAfter           int64
	Amount             int64
	Currency           string
}

// Values returns the row in the column order of warehouse.MRRMovements.
func (m Movement) Values() []any {
	return []any{m.Date, m.Source, m.CustomerExternalID, m.Type, money(m.MRRBefore, m.Currency),
		money(m.MRRAfter, m.Currency), money(m.Amount, m.Currency), m.Currency}
}

// CustomerMRR is one row of customer_mrr: an interval of constant, non-zero customer MRR.
// ValidTo is nil when the MRR is still valid on as_of.
type CustomerMRR struct {
	Source             string
	CustomerExternalID string
	ValidFrom          canonical.Date
	ValidTo            *canonical.Date
	MRR                int64
	Currency           string
}

// Values returns the row in the column order of warehouse.CustomerMRR.
func (c CustomerMRR) Values() []any {
	var to any
	if c.ValidTo != nil {
		to = *c.ValidTo
	}
	return []any{c.Source, c.CustomerExternalID, c.ValidFrom, to, money(c.MRR, c.Currency), c.Currency}
}

// Nullable money and counts are pointers; a nil pointer is NULL.

// MetricRow is one row of metrics_daily (Monthly false) or metrics_monthly (Monthly true).
// Money is in minor units of Currency; rates are exact to 10 decimals.
type MetricRow struct {
	Monthly   bool
	Period    canonical.Date
	Dimension string
	Segment   string
	Currency  string
	IsPartial bool

	MRR, ARR, Customers                                    *int64
	NewBusinessMRR, ExpansionMRR, ContractionMRR, ChurnMRR *int64
	ReactivationMRR, FXAdjustmentMRR, NetNewMRR            *int64
	NewCustomers, ChurnedCustomers, ReactivatedCustomers   *int64
	ARPA, ASP                                              *int64
	CustomerChurnRate, GrossMRRChurnRate, NetMRRChurnRate  *decimal.Decimal
	NRR, GRR, NRR12m, GRR12m, QuickRatio                   *decimal.Decimal
	LTV                                                    *int64
	TrialingCustomers                                      *int64
	InvoicedRevenue, Payments, Refunds, Costs, NetCashFlow *int64
}

// Table returns the result table the row belongs to: metrics_monthly or metrics_daily.
func (r MetricRow) Table() string {
	if r.Monthly {
		return "metrics_monthly"
	}
	return "metrics_daily"
}

// Values returns the row in the column order of warehouse.MetricsMonthly (monthly) or
// warehouse.MetricsDaily: Date, strings, bool, int64 counts, decimal.Decimal money and
// rates, nil for NULL.
func (r MetricRow) Values(monthly bool) []any {
	m := func(p *int64) any {
		if p == nil {
			return nil
		}
		return money(*p, r.Currency)
	}
	c := func(p *int64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	q := func(p *decimal.Decimal) any {
		if p == nil {
			return nil
		}
		return *p
	}
	v := []any{r.Period, r.Dimension, r.Segment, r.Currency, r.IsPartial,
		m(r.MRR), m(r.ARR), c(r.Customers),
		m(r.NewBusinessMRR), m(r.ExpansionMRR), m(r.ContractionMRR), m(r.ChurnMRR), m(r.ReactivationMRR),
		m(r.FXAdjustmentMRR), m(r.NetNewMRR),
		c(r.NewCustomers), c(r.ChurnedCustomers), c(r.ReactivatedCustomers),
		m(r.ARPA), m(r.ASP),
		q(r.CustomerChurnRate), q(r.GrossMRRChurnRate), q(r.NetMRRChurnRate), q(r.NRR), q(r.GRR)}
	if monthly {
		v = append(v, q(r.NRR12m), q(r.GRR12m))
	}
	v = append(v, q(r.QuickRatio))
	if monthly {
		v = append(v, m(r.LTV))
	}
	return append(v, c(r.TrialingCustomers), m(r.InvoicedRevenue), m(r.Payments), m(r.Refunds),
		m(r.Costs), m(r.NetCashFlow))
}

// CohortRow is one row of cohorts; money in minor units of Currency.
type CohortRow struct {
	CohortMonth       canonical.Date
	MonthOffset       int64
	CohortCustomers   int64
	ActiveCustomers   int64
	StartingMRR       int64
	MRR               int64
	CustomerRetention *decimal.Decimal
	MRRRetention      *decimal.Decimal
	Currency          string
}

// Values returns the row in the column order of warehouse.Cohorts.
func (c CohortRow) Values() []any {
	var cr, mr any
	if c.CustomerRetention != nil {
		cr = *c.CustomerRetention
	}
	if c.MRRRetention != nil {
		mr = *c.MRRRetention
	}
	return []any{c.CohortMonth, c.MonthOffset, c.CohortCustomers, c.ActiveCustomers,
		money(c.StartingMRR, c.Currency), money(c.MRR, c.Currency), cr, mr, c.Currency}
}

// Summary describes one Compute run.
type Summary struct {
	// MRR is the total MRR at as_of in minor units of Currency.
	MRR      int64
	Currency string
	// Customers counts customers with MRR > 0 at as_of.
	Customers int
	// CustomersProcessed counts every customer the input delivered.
	CustomersProcessed int
	Movements          int
	CustomerMRRRows    int
	MetricRows         int
	CohortRows         int
	// FirstDay is the first day any customer had MRR (zero when none did).
	FirstDay canonical.Date
}

func money(minor int64, currency string) decimal.Decimal {
	return decimal.New(minor, -canonical.Exponent(currency))
}
