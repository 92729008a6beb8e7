package canonical

import (
	"time"

	"github.com/shopspring/decimal"
)

// Entity names one table of the canonical model (SPEC §1).
type Entity string

// The entities of SPEC §1.
const (
	Customers      Entity = "customers"
	Products       Entity = "products"
	Plans          Entity = "plans"
	Subscriptions  Entity = "subscriptions"
	Invoices       Entity = "invoices"
	InvoiceLines   Entity = "invoice_lines"
	Transactions   Entity = "transactions"
	CreditNotes    Entity = "credit_notes"
	RevenueEntries Entity = "revenue_entries"
	Costs          Entity = "costs"
	FXRates        Entity = "fx_rates"
)

// Entities lists every entity, referenced entities before the ones that reference them.
var Entities = []Entity{Customers, Products, Plans, Subscriptions, Invoices, InvoiceLines,
	Transactions, CreditNotes, RevenueEntries, Costs, FXRates}

// IntervalUnit is a plan's billing interval unit.
type IntervalUnit string

// The interval units of SPEC §1.
const (
	Day   IntervalUnit = "day"
	Week  IntervalUnit = "week"
	Month IntervalUnit = "month"
	Year  IntervalUnit = "year"
)

// Attributes are custom scalar values (string, number, bool, timestamp) on any record.
type Attributes map[string]any

// Meta is what every record carries: its key and its custom attributes.
type Meta struct {
	Source     string
	ExternalID string
	Attributes Attributes
}

// Key identifies a record within its entity.
type Key struct {
	Source     string
	ExternalID string
}

// Header returns the record's common part.
func (m *Meta) Header() *Meta { return m }

// Key returns the record's (source, external_id).
func (m *Meta) Key() Key { return Key{m.Source, m.ExternalID} }

// Record is one canonical entity value: a pointer to Customer, Plan, Invoice, ...
type Record interface {
	Entity() Entity
	Header() *Meta
	Key() Key
}

// Struct tags `field:"name,opts"` describe each field: required, enum=a|b, default=v,
// kind=currency|country|rate, ref=<entity>, positive. schema.go reads them once.

// Customer is a billed account (SPEC §1 customers).
type Customer struct {
	Meta
	Name               string     `field:"name"`
	Email              string     `field:"email"`
	Company            string     `field:"company"`
	Country            string     `field:"country,kind=country"`
	State              string     `field:"state"`
	City               string     `field:"city"`
	CreatedAt          *time.Time `field:"created_at"`
	LeadCreatedAt      *time.Time `field:"lead_created_at"`
	FreeTrialStartedAt *time.Time `field:"free_trial_started_at"`
}

// Product groups plans.
type Product struct {
	Meta
	Name string `field:"name,required"`
}

// Plan is a price point with a billing interval.
type Plan struct {
	Meta
	Name              string       `field:"name,required"`
	IntervalUnit      IntervalUnit `field:"interval_unit,required,enum=day|week|month|year"`
	IntervalCount     int64        `field:"interval_count,default=1,positive"`
	ProductExternalID string       `field:"product_external_id,ref=products"`
}

// Subscription is a customer's subscription; with Amount it is self-priced (SPEC §3).
type Subscription struct {
	Meta
	CustomerExternalID string           `field:"customer_external_id,required,ref=customers"`
	PlanExternalID     string           `field:"plan_external_id,ref=plans"`
	Status             string           `field:"status,enum=active|trialing|past_due|paused|canceled"`
	StartedAt          *time.Time       `field:"started_at"`
	TrialEndsAt        *time.Time       `field:"trial_ends_at"`
	CancelledAt        *time.Time       `field:"cancelled_at"`
	Amount             *decimal.Decimal `field:"amount"`
	Currency           string           `field:"currency,kind=currency"`
	Quantity           int64            `field:"quantity,default=1,positive"`
}

// Invoice is a bill sent to a customer.
type Invoice struct {
	Meta
	CustomerExternalID string `field:"customer_external_id,required,ref=customers"`
	Date               Date   `field:"date,required"`
	Currency           string `field:"currency,required,kind=currency"`
	DueDate            *Date  `field:"due_date"`
	Status             string `field:"status,default=paid,enum=paid|open|uncollectible|void"`
}

// InvoiceLine is one line of an invoice; subscription lines carry MRR (SPEC §3). Its
// subscription_external_id is not a checked reference: as in ChartMogul's import API, a
// subscription exists implicitly through its invoice lines, and a subscriptions record is
// needed only for cancellation dates, status or custom attributes.
type InvoiceLine struct {
	Meta
	InvoiceExternalID      string          `field:"invoice_external_id,required,ref=invoices"`
	Type                   string          `field:"type,required,enum=subscription|one_time|trial"`
	SubscriptionExternalID string          `field:"subscription_external_id"`
	PlanExternalID         string          `field:"plan_external_id,ref=plans"`
	ServicePeriodStart     *Date           `field:"service_period_start"`
	ServicePeriodEnd       *Date           `field:"service_period_end"`
	Amount                 decimal.Decimal `field:"amount,required"`
	TaxAmount              decimal.Decimal `field:"tax_amount,default=0"`
	DiscountAmount         decimal.Decimal `field:"discount_amount,default=0"`
	Quantity               int64           `field:"quantity,default=1"`
	Prorated               bool            `field:"prorated,default=false"`
	Description            string          `field:"description"`
}

// Transaction is a payment or refund against an invoice.
type Transaction struct {
	Meta
	InvoiceExternalID string           `field:"invoice_external_id,required,ref=invoices"`
	Type              string           `field:"type,required,enum=payment|refund"`
	Result            string           `field:"result,default=successful,enum=successful|failed"`
	Date              Date             `field:"date,required"`
	Amount            *decimal.Decimal `field:"amount"`
}

// CreditNote reduces what a customer owes; it counts as a refund.
type CreditNote struct {
	Meta
	InvoiceExternalID  string          `field:"invoice_external_id,ref=invoices"`
	CustomerExternalID string          `field:"customer_external_id,ref=customers"`
	Date               Date            `field:"date,required"`
	Amount             decimal.Decimal `field:"amount,required"`
	Currency           string          `field:"currency,required,kind=currency"`
	Reason             string          `field:"reason"`
}

// RevenueEntry is a typed revenue record as finance APIs keep them (SPEC §1).
type RevenueEntry struct {
	Meta
	Date               Date            `field:"date,required"`
	Amount             decimal.Decimal `field:"amount,required"`
	Currency           string          `field:"currency,required,kind=currency"`
	Type               string          `field:"type,required,enum=subscription|one_time|lifetime|advertising|enterprise|affiliate|refund|other"`
	CustomerExternalID string          `field:"customer_external_id,ref=customers"`
	SourceLabel        string          `field:"source_label"`
	Note               string          `field:"note"`
}

// Cost is an expense, by category.
type Cost struct {
	Meta
	Name      string          `field:"name,required"`
	Amount    decimal.Decimal `field:"amount,required"`
	Currency  string          `field:"currency,required,kind=currency"`
	Category  string          `field:"category,required,enum=INFRASTRUCTURE|THIRD_PARTY|MARKETING|TOOLS|OTHER"`
	Recurring bool            `field:"recurring,default=false"`
	Date      Date            `field:"date,required"`
	Note      string          `field:"note"`
}

// FXRate is the value of one unit of Currency in the reporting currency on Date. Its
// ExternalID is derived from its key: "<date>/<currency>".
type FXRate struct {
	Meta
	Date     Date            `field:"date,required"`
	Currency string          `field:"currency,required,kind=currency"`
	Rate     decimal.Decimal `field:"rate,required,kind=rate"`
}

// Entity implementations.
func (*Customer) Entity() Entity     { return Customers }
func (*Product) Entity() Entity      { return Products }
func (*Plan) Entity() Entity         { return Plans }
func (*Subscription) Entity() Entity { return Subscriptions }
func (*Invoice) Entity() Entity      { return Invoices }
func (*InvoiceLine) Entity() Entity  { return InvoiceLines }
func (*Transaction) Entity() Entity  { return Transactions }
func (*CreditNote) Entity() Entity   { return CreditNotes }
func (*RevenueEntry) Entity() Entity { return RevenueEntries }
func (*Cost) Entity() Entity         { return Costs }
func (*FXRate) Entity() Entity       { return FXRates }

// New returns an empty record of the entity, or nil for an unknown entity.
func New(e Entity) Record {
	switch e {
	case Customers:
		return &Customer{}
	case Products:
		return &Product{}
	case Plans:
		return &Plan{}
	case Subscriptions:
		return &Subscription{}
	case Invoices:
		return &Invoice{}
	case InvoiceLines:
		return &InvoiceLine{}
	case Transactions:
		return &Transaction{}
	case CreditNotes:
		return &CreditNote{}
	case RevenueEntries:
		return &RevenueEntry{}
	case Costs:
		return &Cost{}
	case FXRates:
		return &FXRate{}
	}
	return nil
}
