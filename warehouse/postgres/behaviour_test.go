package postgres_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/postgres"
	"github.com/revsync/revsync/warehouse/warehousetest"
)

func upsert(t *testing.T, w *postgres.Warehouse, runID string, recs ...canonical.Record) {
	t.Helper()
	ctx := context.Background()
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Upsert(ctx, runID, recs))
	require.NoError(t, tx.Commit())
}

// xmins returns each customer's row version (xmin), which changes when a row is rewritten.
func xmins(t *testing.T, w *postgres.Warehouse) map[string]string {
	t.Helper()
	rows, err := w.DB().Query(`SELECT external_id, xmin::text FROM customers ORDER BY 1`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, x string
		require.NoError(t, rows.Scan(&id, &x))
		out[id] = x
	}
	require.NoError(t, rows.Err())
	return out
}

func TestUpsertRewritesOnlyChangedRows(t *testing.T) {
	ctx := context.Background()
	w := open(t)
	defer w.Close()
	require.NoError(t, w.Migrate(ctx))
	a, b := warehousetest.Customer(t, "csv", "a", "A"), warehousetest.Customer(t, "csv", "b", "B")
	upsert(t, w, "run1", a, b)
	before := xmins(t, w)
	upsert(t, w, "run1", a, warehousetest.Customer(t, "csv", "b", "B changed"))
	after := xmins(t, w)
	assert.Equal(t, before["a"], after["a"], "an unchanged row is not rewritten")
	assert.NotEqual(t, before["b"], after["b"], "a changed row is rewritten")
	upsert(t, w, "run2", a)
	assert.NotEqual(t, after["a"], xmins(t, w)["a"], "a new run marks the row (Prune needs run_id)")
}

func TestTryLockAllowsOneHolder(t *testing.T) {
	ctx := context.Background()
	w1, w2 := open(t), open(t)
	defer w1.Close()
	defer w2.Close()
	// the two warehouses share a schema only if opened on the same one: use w1's
	other, err := postgres.Open(ctx, dsnOf(t), w1.Schema())
	require.NoError(t, err)
	defer other.Close()
	var l1, l2 warehouse.Locker = w1, other

	release, ok, err := l1.TryLock(ctx, "job:nightly")
	require.NoError(t, err)
	require.True(t, ok)
	require.NotNil(t, release)

	r2, ok, err := l2.TryLock(ctx, "job:nightly")
	require.NoError(t, err)
	assert.False(t, ok, "a second holder of the same name is refused")
	assert.Nil(t, r2)

	rOther, ok, err := l2.TryLock(ctx, "job:hourly")
	require.NoError(t, err)
	assert.True(t, ok, "another name is another lock")
	rOther()

	rSchema, ok, err := w2.TryLock(ctx, "job:nightly")
	require.NoError(t, err)
	assert.True(t, ok, "the same name in another schema is another lock")
	rSchema()

	release()
	release() // twice is harmless
	r2, ok, err = l2.TryLock(ctx, "job:nightly")
	require.NoError(t, err)
	assert.True(t, ok, "a released lock can be taken")
	r2()
}

func TestPublishSerialisesConcurrentPublishers(t *testing.T) {
	ctx := context.Background()
	w := open(t)
	defer w.Close()
	require.NoError(t, w.Migrate(ctx))
	errs := make(chan error, 4)
	for p := range 4 {
		go func() {
			errs <- w.Publish(ctx, func(ctx context.Context, rw warehouse.ResultWriter) error {
				for i := range 200 {
					if err := rw.Append("customer_mrr", "csv", "c", canonical.NewDate(2024, 1, 1+i%28), nil, decimalOf(int64(p)), "USD"); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	for range 4 {
		require.NoError(t, <-errs)
	}
	var n, distinct int
	require.NoError(t, w.DB().QueryRow(`SELECT count(*), count(DISTINCT mrr) FROM customer_mrr`).Scan(&n, &distinct))
	assert.Equal(t, 200, n, "the last publisher's rows only, never two results mixed")
	assert.Equal(t, 1, distinct)
}

func TestCopyEscapesAndMixedBatches(t *testing.T) {
	ctx := context.Background()
	w := open(t)
	defer w.Close()
	require.NoError(t, w.Migrate(ctx))
	odd := "tab\there, newline\nthere, back\\slash \\N, cr\rend, ünï 😀"
	upsert(t, w, "run1", warehousetest.Customer(t, "csv", "a", odd), warehousetest.Customer(t, "csv", `b\N`, "B"))
	// a batch mixing a stored key and new ones falls back to the merge
	upsert(t, w, "run2", warehousetest.Customer(t, "csv", "c", "C"), warehousetest.Customer(t, "csv", "a", odd+"!"), warehousetest.Customer(t, "csv", "d", "D"))
	var got []canonical.Record
	require.NoError(t, w.Scan(ctx, canonical.Customers, func(r canonical.Record) error { got = append(got, r); return nil }))
	require.Len(t, got, 4)
	assert.Equal(t, odd+"!", got[0].(*canonical.Customer).Name)
	assert.Equal(t, `b\N`, got[1].Key().ExternalID)
	assert.Equal(t, "B", got[1].(*canonical.Customer).Name)
	var runs []string
	rows, err := w.DB().Query(`SELECT external_id || ':' || run_id FROM customers ORDER BY external_id`)
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		runs = append(runs, s)
	}
	assert.Equal(t, []string{"a:run2", `b\N:run1`, "c:run2", "d:run2"}, runs)
}

func TestLockIsFreedWhenItsHolderDies(t *testing.T) {
	ctx := context.Background()
	w := open(t)
	defer w.Close()
	release, ok, err := w.TryLock(ctx, "job:nightly")
	require.NoError(t, err)
	require.True(t, ok)
	defer release()
	// the holder's session ends as it would if its process were killed
	var terminated int
	require.NoError(t, w.DB().QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
		AND classid::int = hashtext('revsync:' || $1::text) AND objid::int = hashtext('job:nightly')`, w.Schema()).Scan(&terminated))
	require.Equal(t, 1, terminated)
	require.Eventually(t, func() bool {
		r, ok, err := w.TryLock(ctx, "job:nightly")
		if err != nil || !ok {
			return false
		}
		r()
		return true
	}, 10*time.Second, 50*time.Millisecond, "the lock of a dead session is free")
	release() // releasing on a dead connection is harmless
}

// TestRepeatableReadReaderKeepsItsResult shows why publication is DELETE + INSERT, not
// TRUNCATE: a REPEATABLE READ reader whose snapshot predates a publication still sees
// the complete previous result (TRUNCATE would show it an empty table), and a reader
// never waits for the publisher.
func TestRepeatableReadReaderKeepsItsResult(t *testing.T) {
	ctx := context.Background()
	w := open(t)
	defer w.Close()
	require.NoError(t, w.Migrate(ctx))
	publish := func(n int) error {
		return w.Publish(ctx, func(ctx context.Context, rw warehouse.ResultWriter) error {
			for i := range n {
				if err := rw.Append("customer_mrr", "csv", "c", canonical.NewDate(2024, 1, 1+i), nil, decimalOf(int64(n)), "USD"); err != nil {
					return err
				}
			}
			return nil
		})
	}
	require.NoError(t, publish(3))
	reader, err := w.DB().BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	require.NoError(t, err)
	defer reader.Rollback()
	var n int
	require.NoError(t, reader.QueryRowContext(ctx, "SELECT count(*) FROM customer_mrr").Scan(&n))
	require.Equal(t, 3, n)
	done := make(chan error, 1)
	go func() { done <- publish(5) }()
	select {
	case err := <-done:
		require.NoError(t, err, "the publisher does not wait for the open reader")
	case <-time.After(30 * time.Second):
		t.Fatal("publication blocked behind a reader")
	}
	require.NoError(t, reader.QueryRowContext(ctx, "SELECT count(*) FROM customer_mrr").Scan(&n))
	assert.Equal(t, 3, n, "the reader's snapshot keeps the previous complete result")
	require.NoError(t, reader.Rollback())
	require.NoError(t, w.DB().QueryRowContext(ctx, "SELECT count(*) FROM customer_mrr").Scan(&n))
	assert.Equal(t, 5, n)
}
