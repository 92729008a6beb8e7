package metrics

import (
	"cmp"
	"context"
	"slices"

	"github.com/revsync/revsync/canonical"
)

// Dataset is an in-memory Input: Add canonical records in any order, then Compute.
// Adding a record with the key of an earlier one replaces it (upsert).
type Dataset struct {
	customers     map[canonical.Key]*canonical.Customer
	products      map[canonical.Key]*canonical.Product
	plans         map[canonical.Key]*canonical.Plan
	subscriptions map[canonical.Key]*canonical.Subscription
	invoices      map[canonical.Key]*canonical.Invoice
	lines         map[canonical.Key]*canonical.InvoiceLine
	transactions  map[canonical.Key]*canonical.Transaction
	creditNotes   map[canonical.Key]*canonical.CreditNote
	revenue       map[canonical.Key]*canonical.RevenueEntry
	costs         map[canonical.Key]*canonical.Cost
	fx            map[canonical.Key]*canonical.FXRate
}

// NewDataset returns an empty Dataset.
func NewDataset() *Dataset {
	return &Dataset{
		customers: map[canonical.Key]*canonical.Customer{}, products: map[canonical.Key]*canonical.Product{},
		plans: map[canonical.Key]*canonical.Plan{}, subscriptions: map[canonical.Key]*canonical.Subscription{},
		invoices: map[canonical.Key]*canonical.Invoice{}, lines: map[canonical.Key]*canonical.InvoiceLine{},
		transactions: map[canonical.Key]*canonical.Transaction{}, creditNotes: map[canonical.Key]*canonical.CreditNote{},
		revenue: map[canonical.Key]*canonical.RevenueEntry{}, costs: map[canonical.Key]*canonical.Cost{},
		fx: map[canonical.Key]*canonical.FXRate{},
	}
}

// Add stores one canonical record.
func (d *Dataset) Add(r canonical.Record) {
	k := r.Key()
	switch x := r.(type) {
	case *canonical.Customer:
		d.customers[k] = x
	case *canonical.Product:
		d.products[k] = x
	case *canonical.Plan:
		d.plans[k] = x
	case *canonical.Subscription:
		d.subscriptions[k] = x
	case *canonical.Invoice:
		d.invoices[k] = x
	case *canonical.InvoiceLine:
		d.lines[k] = x
	case *canonical.Transaction:
		d.transactions[k] = x
	case *canonical.CreditNote:
		d.creditNotes[k] = x
	case *canonical.RevenueEntry:
		d.revenue[k] = x
	case *canonical.Cost:
		d.costs[k] = x
	case *canonical.FXRate:
		d.fx[k] = x
	}
}

// Reference implements Input.
func (d *Dataset) Reference(context.Context) (*Reference, error) {
	ref := &Reference{Plans: d.plans, Products: d.products}
	for _, k := range sortedKeys(d.fx) {
		ref.FXRates = append(ref.FXRates, d.fx[k])
	}
	for _, k := range sortedKeys(d.costs) {
		ref.Costs = append(ref.Costs, d.costs[k])
	}
	return ref, nil
}

// Customers implements Input: it groups records by customer and calls fn in key order.
func (d *Dataset) Customers(ctx context.Context, fn func(*CustomerData) error) error {
	byKey := map[canonical.Key]*CustomerData{}
	get := func(k canonical.Key) *CustomerData {
		cd := byKey[k]
		if cd == nil {
			cd = &CustomerData{Key: k}
			byKey[k] = cd
		}
		return cd
	}
	for _, k := range sortedKeys(d.customers) {
		get(k).Customer = d.customers[k]
	}
	for _, k := range sortedKeys(d.subscriptions) {
		s := d.subscriptions[k]
		cd := get(canonical.Key{Source: s.Source, ExternalID: s.CustomerExternalID})
		cd.Subscriptions = append(cd.Subscriptions, s)
	}
	invOwner := func(source, invoice string) *CustomerData {
		inv := d.invoices[canonical.Key{Source: source, ExternalID: invoice}]
		if inv == nil {
			return nil
		}
		return get(canonical.Key{Source: source, ExternalID: inv.CustomerExternalID})
	}
	for _, k := range sortedKeys(d.invoices) {
		inv := d.invoices[k]
		cd := get(canonical.Key{Source: inv.Source, ExternalID: inv.CustomerExternalID})
		cd.Invoices = append(cd.Invoices, inv)
	}
	for _, k := range sortedKeys(d.lines) {
		l := d.lines[k]
		if cd := invOwner(l.Source, l.InvoiceExternalID); cd != nil {
			cd.Lines = append(cd.Lines, l)
		}
	}
	for _, k := range sortedKeys(d.transactions) {
		t := d.transactions[k]
		if cd := invOwner(t.Source, t.InvoiceExternalID); cd != nil {
			cd.Transactions = append(cd.Transactions, t)
		}
	}
	for _, k := range sortedKeys(d.creditNotes) {
		c := d.creditNotes[k]
		var cd *CustomerData
		switch {
		case c.CustomerExternalID != "":
			cd = get(canonical.Key{Source: c.Source, ExternalID: c.CustomerExternalID})
		case c.InvoiceExternalID != "":
			cd = invOwner(c.Source, c.InvoiceExternalID)
		}
		if cd == nil {
			cd = get(canonical.Key{Source: c.Source, ExternalID: RevenueCustomer})
		}
		cd.CreditNotes = append(cd.CreditNotes, c)
	}
	for _, k := range sortedKeys(d.revenue) {
		e := d.revenue[k]
		cust := e.CustomerExternalID
		if cust == "" {
			cust = RevenueCustomer
		}
		cd := get(canonical.Key{Source: e.Source, ExternalID: cust})
		cd.RevenueEntries = append(cd.RevenueEntries, e)
	}
	for _, k := range sortedKeys(byKey) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(byKey[k]); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[canonical.Key]V) []canonical.Key {
	keys := make([]canonical.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	return keys
}

func compareKeys(a, b canonical.Key) int {
	if c := cmp.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	return cmp.Compare(a.ExternalID, b.ExternalID)
}
