package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
)

var _ warehouse.OwnerScanner = (*Store)(nil)

// OwnerPager is an optional Dialect capability for drivers that materialise a query's
// whole result before returning its first row (DuckDB's): OwnerPage returns how many
// customers ScanByOwner reads per query, so that the materialised result stays small.
// Without it (or with a value ≤ 0) ScanByOwner reads with one ordered query, which suits
// drivers that stream rows (pgx) or fetch them in chunks.
type OwnerPager interface {
	OwnerPage() int
}

// ScanByOwner calls fn with every stored record of an owned entity (warehouse.
// OwnedEntities) together with the customer it belongs to, ordered by (source, owner,
// external_id): ordered queries joined with invoices for the entities owned through
// their invoice, one for the whole table or, with OwnerPager, one per range of
// customers. Go holds one row at a time, converted by type like Scan's
// (recordFromValues). Text columns compare byte-wise on every dialect (PostgreSQL
// columns are COLLATE "C"), which is Go's string order, so the order is the metrics
// engine's.
func (s *Store) ScanByOwner(ctx context.Context, entity canonical.Entity, fn func(owner canonical.Key, r canonical.Record) error) error {
	oq, err := s.ownerQuery(entity)
	if err != nil {
		return err
	}
	fail := func(err error) error { return fmt.Errorf("%s: scan %s by customer: %w", s.d.Name(), entity, err) }
	page := 0
	if p, ok := s.d.(OwnerPager); ok {
		page = p.OwnerPage()
	}
	if page <= 0 {
		return s.scanOwned(ctx, entity, oq, fn, oq.query("", ""))
	}
	bounds, err := s.ownerBounds(ctx, page)
	if err != nil {
		return fail(err)
	}
	// Page i holds the owners in (bounds[i-1], bounds[i]]; the first and last pages are
	// open-ended, so owners without a customer record are read too.
	for i := 0; i <= len(bounds); i++ {
		var lower, upper string
		var args []any
		n := 1
		if i > 0 {
			lower = oq.after(s.d, n)
			args = append(args, bounds[i-1].Source, bounds[i-1].Source, bounds[i-1].ExternalID)
			n += 3
		}
		if i < len(bounds) {
			upper = oq.upTo(s.d, n)
			args = append(args, bounds[i].Source, bounds[i].Source, bounds[i].ExternalID)
		}
		if err := s.scanOwned(ctx, entity, oq, fn, oq.query(lower, upper), args...); err != nil {
			return err
		}
	}
	return nil
}

// scanOwned runs one query of ScanByOwner and calls fn with each row.
func (s *Store) scanOwned(ctx context.Context, entity canonical.Entity, oq ownerQuery, fn func(canonical.Key, canonical.Record) error, q string, args ...any) error {
	fail := func(err error) error { return fmt.Errorf("%s: scan %s by customer: %w", s.d.Name(), entity, err) }
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return fail(err)
	}
	sc := newRowScanner(len(types))
	for rows.Next() {
		vals, err := sc.scan(rows)
		if err != nil {
			return fail(err)
		}
		if vals[0] == nil {
			return fail(fmt.Errorf("a stored row has no owner"))
		}
		owner, err := s.textValue(types[0], vals[0])
		if err != nil {
			return fail(fmt.Errorf("owner: %w", err))
		}
		rec, err := s.recordFromValues(entity, oq.cols, types[1:], vals[1:])
		if err != nil {
			return fail(fmt.Errorf("stored row does not parse: %w", err))
		}
		if err := fn(canonical.Key{Source: rec.Key().Source, ExternalID: owner}, rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return nil
}

// ownerBounds returns the key of every page-th stored customer, in order: the upper
// bounds of ScanByOwner's pages.
func (s *Store) ownerBounds(ctx context.Context, page int) ([]canonical.Key, error) {
	src, ext := s.d.Quote("source"), s.d.Quote("external_id")
	q := fmt.Sprintf("SELECT %s, %s FROM (SELECT %s, %s, ROW_NUMBER() OVER (ORDER BY %s, %s) AS n FROM %s) t WHERE MOD(n, %d) = 0 ORDER BY %s, %s",
		src, ext, src, ext, src, ext, s.d.Table(warehouse.CanonicalTable(canonical.Customers).Name), page, src, ext)
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("page customers: %w", err)
	}
	defer rows.Close()
	var bounds []canonical.Key
	for rows.Next() {
		var source, id sql.NullString
		if err := rows.Scan(&source, &id); err != nil {
			return nil, fmt.Errorf("page customers: %w", err)
		}
		bounds = append(bounds, canonical.Key{Source: source.String, ExternalID: id.String})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("page customers: %w", err)
	}
	return bounds, nil
}

// ownerQuery is the SELECT of ScanByOwner for one entity: the owner's external id, then
// the record's columns (source first), ordered by source, owner and external_id.
type ownerQuery struct {
	cols   []warehouse.Column
	owner  string // the owner expression
	source string // the record's source column
	id     string // the record's external_id column
	from   string // SELECT list, FROM and joins
}

// query returns the statement with optional WHERE conditions.
func (oq ownerQuery) query(conds ...string) string {
	where := ""
	for _, c := range conds {
		if c == "" {
			continue
		}
		if where == "" {
			where = " WHERE " + c
		} else {
			where += " AND " + c
		}
	}
	return fmt.Sprintf("%s%s ORDER BY %s, %s, %s", oq.from, where, oq.source, oq.owner, oq.id)
}

// after is the condition (source, owner) > (placeholders n, n+1, n+2): source twice,
// then the owner.
func (oq ownerQuery) after(d Dialect, n int) string {
	return fmt.Sprintf("(%s > %s OR (%s = %s AND %s > %s))", oq.source, d.Placeholder(n), oq.source, d.Placeholder(n+1), oq.owner, d.Placeholder(n+2))
}

// upTo is the condition (source, owner) <= (placeholders n, n+1, n+2).
func (oq ownerQuery) upTo(d Dialect, n int) string {
	return fmt.Sprintf("(%s < %s OR (%s = %s AND %s <= %s))", oq.source, d.Placeholder(n), oq.source, d.Placeholder(n+1), oq.owner, d.Placeholder(n+2))
}

func (s *Store) ownerQuery(entity canonical.Entity) (ownerQuery, error) {
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
		return ownerQuery{}, fmt.Errorf("scan by customer: %q is not an entity owned by customers (one of %v)", entity, warehouse.OwnedEntities)
	}
	t := warehouse.CanonicalTable(entity)
	oq := ownerQuery{cols: recordColumns(t), owner: owner, source: col("r", "source"), id: col("r", "external_id")}
	oq.from = fmt.Sprintf("SELECT %s, %s FROM %s r%s", owner, s.selectList(oq.cols, "r."), s.d.Table(t.Name), join)
	return oq, nil
}
