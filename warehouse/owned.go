package warehouse

import (
	"context"

	"github.com/revsync/revsync/canonical"
)

// OwnerScanner is an optional Warehouse capability (found by type assertion) that reads
// canonical records grouped by the customer they belong to, so that the metrics engine
// can consume one customer at a time instead of loading every record.
//
// The owner of a record is the one metrics.OwnerOf gives it: a customer owns itself;
// subscriptions, invoices, credit notes and revenue entries belong to their
// customer_external_id; invoice lines and transactions to the customer of their invoice
// (records whose invoice is not stored are skipped); a credit note without a customer
// belongs to its invoice's customer; revenue entries and credit notes that name no
// customer that way belong to the RevenueOwner customer of their source.
type OwnerScanner interface {
	// ScanByOwner calls fn with every stored record of entity, which must be one of
	// OwnedEntities, ordered by owner (source, then owner external id, compared as
	// bytes, like Go strings) and, within one owner, by external_id.
	ScanByOwner(ctx context.Context, entity canonical.Entity, fn func(owner canonical.Key, r canonical.Record) error) error
}

// RevenueOwner is the external id of the customer that owns the revenue entries and
// credit notes of a source that belong to no customer (metrics.RevenueCustomer).
const RevenueOwner = "(revenue)"

// OwnedEntities lists the entities whose records belong to a customer, in the order the
// metrics engine files them; the others (products, plans, costs, fx_rates) are
// reference data.
var OwnedEntities = []canonical.Entity{canonical.Customers, canonical.Subscriptions, canonical.Invoices,
	canonical.InvoiceLines, canonical.Transactions, canonical.CreditNotes, canonical.RevenueEntries}
