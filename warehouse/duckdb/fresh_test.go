package duckdb

import (
	"context"
	"testing"

	"github.com/revsync/revsync/canonical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUpsert_FreshInsertsAndMergesMixInOneTransaction covers the direct appender path
// for new keys (sqlstore.FreshInserter): later batches of the same transaction that
// repeat a key, a key deleted and written again, and a second source next to a stored
// one must give the same rows as merging everything would.
func TestUpsert_FreshInsertsAndMergesMixInOneTransaction(t *testing.T) {
	ctx := context.Background()
	product := func(source, id, name string) canonical.Record {
		return rec(t, canonical.Products, source, map[string]string{"external_id": id, "name": name}, nil)
	}
	products := "SELECT source, external_id, name, run_id FROM products ORDER BY source, external_id"
	w := open(t)

	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Upsert(ctx, "run1", []canonical.Record{product("csv", "p1", "one"), product("csv", "p2", "two")}))
	require.NoError(t, tx.Upsert(ctx, "run1", []canonical.Record{product("csv", "p2", "two again"), product("csv", "p3", "three")}))
	require.NoError(t, tx.Delete(ctx, "csv", canonical.Products, []string{"p1"}))
	require.NoError(t, tx.Upsert(ctx, "run1", []canonical.Record{product("csv", "p1", "one again")}))
	require.NoError(t, tx.Commit())
	assert.Equal(t, [][]string{
		{"csv", "p1", "one again", "run1"}, {"csv", "p2", "two again", "run1"}, {"csv", "p3", "three", "run1"},
	}, query(t, w, products))

	tx, err = w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Upsert(ctx, "run2", []canonical.Record{product("csv", "p3", "three v2"), product("csv", "p4", "four")}))
	require.NoError(t, tx.Upsert(ctx, "run2", []canonical.Record{product("api", "p1", "api one"), product("api", "p1", "api one last")}))
	require.NoError(t, tx.Upsert(ctx, "run2", []canonical.Record{product("api", "p1", "api one v2"), product("api", "p2", "api two")}))
	require.NoError(t, tx.Commit())
	assert.Equal(t, [][]string{
		{"api", "p1", "api one v2", "run2"}, {"api", "p2", "api two", "run2"},
		{"csv", "p1", "one again", "run1"}, {"csv", "p2", "two again", "run1"}, {"csv", "p3", "three v2", "run2"},
		{"csv", "p4", "four", "run2"},
	}, query(t, w, products))

	tx, err = w.Begin(ctx)
	require.NoError(t, err)
	n, err := tx.Prune(ctx, "api", canonical.Products, "run3")
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	require.NoError(t, tx.Upsert(ctx, "run3", []canonical.Record{product("api", "p1", "api one v3")}))
	require.NoError(t, tx.Commit())
	assert.Equal(t, [][]string{{"api", "p1", "api one v3", "run3"}}, query(t, w, products+" LIMIT 1"))
}
