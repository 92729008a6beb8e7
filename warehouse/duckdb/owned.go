package duckdb

import "github.com/revsync/revsync/warehouse/sqlstore"

// OwnerPage is how many customers Warehouse.ScanByOwner reads per query.
const OwnerPage = 50_000

var _ sqlstore.OwnerPager = Dialect{}

// OwnerPage implements sqlstore.OwnerPager: the driver materialises a query's whole
// result in DuckDB's memory before the first row, so reading a large table ordered by
// customer in one query would hold all of it; ranges of OwnerPage customers bound that,
// at the cost of one more scan of the table per range.
func (Dialect) OwnerPage() int { return OwnerPage }
