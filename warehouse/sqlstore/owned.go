package sqlstore

import (
	"context"
	"fmt"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
)

var _ warehouse.OwnerScanner = (*Store)(nil)

// ScanByOwner calls fn with every stored record of an owned entity (warehouse.
// OwnedEntities) together with the customer it belongs to, ordered by (source, owner,
// external_id): one ordered query, joined with invoices for the entities owned through
// their invoice. Go holds one row at a time; the database sorts (and spills) on its
// side, and drivers that stream (pgx) or fetch in chunks keep memory bounded on the
// client. Text columns compare byte-wise on every dialect (PostgreSQL columns are
// COLLATE "C"), which is Go's string order, so the order is the metrics engine's.
func (s *Store) ScanByOwner(ctx context.Context, entity canonical.Entity, fn func(owner canonical.Key, r canonical.Record) error) error {
	q, cols, err := s.ownerQuery(entity)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: scan %s by customer: %w", s.d.Name(), entity, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return fmt.Errorf("%s: scan %s by customer: %w", s.d.Name(), entity, err)
	}
	fields := make(map[string]string, len(cols))
	for rows.Next() {
		texts, err := s.scanText(rows, types)
		if err != nil {
			return fmt.Errorf("%s: scan %s by customer: %w", s.d.Name(), entity, err)
		}
		if texts[0] == nil || texts[1] == nil {
			return fmt.Errorf("%s: scan %s by customer: a stored row has no source or owner", s.d.Name(), entity)
		}
		rec, err := recordFromText(entity, cols, texts[1:], fields)
		if err != nil {
			return fmt.Errorf("%s: scan %s by customer: stored row does not parse: %w", s.d.Name(), entity, err)
		}
		if err := fn(canonical.Key{Source: *texts[1], ExternalID: *texts[0]}, rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: scan %s by customer: %w", s.d.Name(), entity, err)
	}
	return nil
}

// ownerQuery returns the SELECT of ScanByOwner for entity: the owner's external id,
// then the record's columns (source first), ordered by source, owner and external_id.
func (s *Store) ownerQuery(entity canonical.Entity) (string, []warehouse.Column, error) {
	q := s.d.Quote
	col := func(alias, name string) string { return alias + "." + q(name) }
	revenue := "'" + warehouse.RevenueOwner + "'"
	invoices := s.d.Table(warehouse.CanonicalTable(canonical.Invoices).Name)
	joinInvoice := fmt.Sprintf(" JOIN %s i ON i.%s = r.%s AND i.%s = r.%s", invoices,
		q("source"), q("source"), q("external_id"), q("invoice_external_id"))
	var owner, join string
	switch entity {
	case canonical.Customers:
		owner = col("r", "external_id")
	case canonical.Subscriptions, canonical.Invoices:
		owner = col("r", "customer_external_id")
	case canonical.InvoiceLines, canonical.Transactions:
		owner, join = col("i", "customer_external_id"), joinInvoice
	case canonical.CreditNotes:
		owner = fmt.Sprintf("COALESCE(NULLIF(%s, ''), %s, %s)", col("r", "customer_external_id"), col("i", "customer_external_id"), revenue)
		join = " LEFT" + joinInvoice
	case canonical.RevenueEntries:
		owner = fmt.Sprintf("COALESCE(NULLIF(%s, ''), %s)", col("r", "customer_external_id"), revenue)
	default:
		return "", nil, fmt.Errorf("scan by customer: %q is not an entity owned by customers (one of %v)", entity, warehouse.OwnedEntities)
	}
	t := warehouse.CanonicalTable(entity)
	cols := recordColumns(t)
	return fmt.Sprintf("SELECT %s, %s FROM %s r%s ORDER BY %s, %s, %s", owner, s.selectList(cols, "r."),
		s.d.Table(t.Name), join, col("r", "source"), owner, col("r", "external_id")), cols, nil
}
