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

// OwnerOf returns the customer a record belongs to for CustomerData, and false for
// reference data (plans, products, costs, fx rates) or a line or transaction whose
// invoice is unknown. invoiceCustomer resolves an invoice's customer_external_id.
// Revenue entries and credit notes that name no customer (directly or through their
// invoice) belong to the "(revenue)" customer of their source.
func OwnerOf(r canonical.Record, invoiceCustomer func(source, invoiceID string) (string, bool)) (canonical.Key, bool) {
	key := func(source, id string) (canonical.Key, bool) {
		return canonical.Key{Source: source, ExternalID: id}, true
	}
	viaInvoice := func(source, inv string) (canonical.Key, bool) {
		if inv == "" {
			return canonical.Key{}, false
		}
		c, ok := invoiceCustomer(source, inv)
		if !ok {
			return canonical.Key{}, false
		}
		return key(source, c)
	}
	switch x := r.(type) {
	case *canonical.Customer:
		return key(x.Source, x.ExternalID)
	case *canonical.Subscription:
		return key(x.Source, x.CustomerExternalID)
	case *canonical.Invoice:
		return key(x.Source, x.CustomerExternalID)
	case *canonical.InvoiceLine:
		return viaInvoice(x.Source, x.InvoiceExternalID)
	case *canonical.Transaction:
		return viaInvoice(x.Source, x.InvoiceExternalID)
	case *canonical.CreditNote:
		if x.CustomerExternalID != "" {
			return key(x.Source, x.CustomerExternalID)
		}
		if k, ok := viaInvoice(x.Source, x.InvoiceExternalID); ok {
			return k, true
		}
		return key(x.Source, RevenueCustomer)
	case *canonical.RevenueEntry:
		if x.CustomerExternalID != "" {
			return key(x.Source, x.CustomerExternalID)
		}
		return key(x.Source, RevenueCustomer)
	}
	return canonical.Key{}, false
}

// Add appends a record to the CustomerData it belongs to (OwnerOf decides which).
func (cd *CustomerData) Add(r canonical.Record) {
	switch x := r.(type) {
	case *canonical.Customer:
		cd.Customer = x
	case *canonical.Subscription:
		cd.Subscriptions = append(cd.Subscriptions, x)
	case *canonical.Invoice:
		cd.Invoices = append(cd.Invoices, x)
	case *canonical.InvoiceLine:
		cd.Lines = append(cd.Lines, x)
	case *canonical.Transaction:
		cd.Transactions = append(cd.Transactions, x)
	case *canonical.CreditNote:
		cd.CreditNotes = append(cd.CreditNotes, x)
	case *canonical.RevenueEntry:
		cd.RevenueEntries = append(cd.RevenueEntries, x)
	}
}

// Customers implements Input: it groups records by customer and calls fn in key order.
func (d *Dataset) Customers(ctx context.Context, fn func(*CustomerData) error) error {
	byKey := map[canonical.Key]*CustomerData{}
	invoiceCustomer := func(source, id string) (string, bool) {
		inv := d.invoices[canonical.Key{Source: source, ExternalID: id}]
		if inv == nil {
			return "", false
		}
		return inv.CustomerExternalID, true
	}
	add := func(r canonical.Record) {
		k, ok := OwnerOf(r, invoiceCustomer)
		if !ok {
			return
		}
		cd := byKey[k]
		if cd == nil {
			cd = &CustomerData{Key: k}
			byKey[k] = cd
		}
		cd.Add(r)
	}
	for _, k := range sortedKeys(d.customers) {
		add(d.customers[k])
	}
	for _, k := range sortedKeys(d.subscriptions) {
		add(d.subscriptions[k])
	}
	for _, k := range sortedKeys(d.invoices) {
		add(d.invoices[k])
	}
	for _, k := range sortedKeys(d.lines) {
		add(d.lines[k])
	}
	for _, k := range sortedKeys(d.transactions) {
		add(d.transactions[k])
	}
	for _, k := range sortedKeys(d.creditNotes) {
		add(d.creditNotes[k])
	}
	for _, k := range sortedKeys(d.revenue) {
		add(d.revenue[k])
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
