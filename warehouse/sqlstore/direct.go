package sqlstore

import (
	"context"

	"github.com/revsync/revsync/warehouse"
)

// DirectInserter is an optional Dialect capability for bulk loads: TryInsert appends
// rows (deduplicated, neutral values in canonical table t's column order) straight into
// the live table t when none of their keys is stored yet, skipping the staging table
// and the merge. It reports false, with nothing changed, when a key already exists (or
// it cannot tell); Tx.Upsert then merges through staging as usual. It runs inside the
// session's transaction.
type DirectInserter interface {
	TryInsert(ctx context.Context, s Session, t warehouse.Table, rows [][]any) (bool, error)
}
