package warehousetable

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/internal/pgtest"
)

// pgSource creates a fresh schema on the test server, runs stmts in it ({s} is the
// schema) and returns the DSN and schema.
func pgSource(t *testing.T, stmts ...string) (string, string, func(...string)) {
	t.Helper()
	dsn, schema := pgtest.DSN(t), pgtest.Schema(t)
	exec := func(stmts ...string) {
		t.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		require.NoError(t, err)
		defer conn.Close(ctx)
		for _, q := range stmts {
			_, err := conn.Exec(ctx, fmt.Sprintf(q, schema))
			require.NoError(t, err, q)
		}
	}
	exec(append([]string{"CREATE SCHEMA %[1]s"}, stmts...)...)
	return dsn, schema, exec
}

func TestRead_PostgresTypesExactAndQuerySource(t *testing.T) {
	dsn, schema, _ := pgSource(t,
		`CREATE TABLE %[1]s.customers (id text PRIMARY KEY, "Name" text, created timestamptz, vip boolean, seats int, score numeric(10,4))`,
		`INSERT INTO %[1]s.customers VALUES ('c1', 'Ada', '2024-01-15 10:20:30.123456+02', true, 7, 1.2500), ('c2', NULL, NULL, NULL, NULL, NULL)`,
		`CREATE TABLE %[1]s.inv (id text, cust text, d date, cur char(3))`,
		`INSERT INTO %[1]s.inv VALUES ('in1', 'c1', '2024-01-31', 'EUR')`,
		`CREATE TABLE %[1]s.items (id text, inv text, kind text, cents bigint, amount numeric(18,4), sub text, start_d date, end_d date)`,
		`INSERT INTO %[1]s.items VALUES ('l1', 'in1', 'one_time', 1234567890123456789, 12345678901234.5678, 'sub1', '2024-01-01', '2024-02-01')`)
	s := &Settings{Dialect: "postgres", DSN: config.Secret(dsn), Entities: map[string]EntitySettings{
		"customers": {Table: schema + ".customers", Columns: map[string]string{"external_id": "id", "name": "Name", "created_at": "created"}, Attributes: []string{"vip", "seats", "score"}},
		"invoices":  {Table: schema + ".inv", Columns: map[string]string{"external_id": "id", "customer_external_id": "cust", "date": "d", "currency": "cur"}},
		"invoice_lines": {Query: fmt.Sprintf(`SELECT i.id AS external_id, i.inv AS invoice_external_id, i.kind AS type, i.amount, i.sub AS subscription_external_id,
			i.start_d AS service_period_start, i.end_d AS service_period_end, i.cents FROM %s.items i JOIN %s.inv v ON v.id = i.inv`, schema, schema),
			Attributes: []string{"cents"}},
	}}
	require.NoError(t, Connector{}.Check(context.Background(), cfgOf(s)))
	r := read(t, s, nil, nil)
	require.Empty(t, r.rejects)
	assert.Equal(t, []string{"c1", "c2", "in1", "l1"}, r.ids())
	assert.Equal(t, map[string]string{"external_id": "c1", "name": "Ada", "created_at": "2024-01-15T08:20:30.123456Z"}, r.records[0].Fields, "timestamps in UTC, RFC 3339")
	assert.Equal(t, true, r.records[0].Attributes["vip"])
	assert.Equal(t, int64(7), r.records[0].Attributes["seats"])
	assert.Equal(t, "1.25", fmt.Sprint(r.records[0].Attributes["score"]))
	assert.Equal(t, map[string]string{"external_id": "c2"}, r.records[1].Fields)
	assert.Equal(t, map[string]string{"external_id": "in1", "customer_external_id": "c1", "date": "2024-01-31", "currency": "EUR"}, r.records[2].Fields)
	assert.Equal(t, "12345678901234.5678", r.records[3].Fields["amount"], "NUMERIC exactly")
	assert.Equal(t, int64(1234567890123456789), r.records[3].Attributes["cents"])
	assert.Equal(t, "2024-02-01", r.records[3].Fields["service_period_end"])
	assert.ElementsMatch(t, []canonical.Entity{canonical.Customers, canonical.Invoices, canonical.InvoiceLines}, r.snapshots)
}

// TestRead_PostgresIncrementalFixedUpperBound checks the incremental semantics on a
// real server: rows committed after the run fixed its upper bound (between the
// MAX(cursor) query and the read, or while the read streams) are not read by that run
// and not skipped by the next one, and rows at the saved cursor are read again.
func TestRead_PostgresIncrementalFixedUpperBound(t *testing.T) {
	dsn, schema, exec := pgSource(t,
		`CREATE TABLE %[1]s.customers (id text, name text, updated_at timestamptz)`,
		`INSERT INTO %[1]s.customers VALUES ('c1', 'A', '2024-01-01 00:00:00+00'), ('c2', 'B', '2024-01-02 00:00:00+00'), ('c3', 'C', '2024-01-03 00:00:00.000001+00')`)
	s := &Settings{Dialect: "postgres", DSN: config.Secret(dsn), Entities: map[string]EntitySettings{
		"customers": {Table: schema + ".customers", Columns: map[string]string{"external_id": "id"}, Cursor: "updated_at"},
	}}
	first := read(t, s, nil, nil)
	assert.Equal(t, []string{"c1", "c2", "c3"}, first.ids())
	assert.Equal(t, []string{"customers=2024-01-03 00:00:00.000001+00:00"}, first.checkpoints)
	st := stateOf(nil, first)

	// Between the bound and the read: c4 at the bound (read: <=), c5 above it (not read).
	afterMax = func() {
		exec(`INSERT INTO %[1]s.customers VALUES ('c4', 'D', '2024-01-03 00:00:00.000001+00'), ('c5', 'E', '2024-01-04 00:00:00+00')`)
	}
	t.Cleanup(func() { afterMax = nil })
	inserted := false
	second := read(t, s, st, func(int) {
		if !inserted { // while the read streams: c6 above the bound
			inserted = true
			exec(`INSERT INTO %[1]s.customers VALUES ('c6', 'F', '2024-01-05 00:00:00+00')`)
		}
	})
	afterMax = nil
	assert.Equal(t, []string{"c3", "c4"}, second.ids(), ">= the saved cursor and <= the bound fixed at the start")
	assert.Empty(t, second.checkpoints, "the cursor did not move")
	assert.Empty(t, second.snapshots)
	st = stateOf(st, second)

	third := read(t, s, st, nil)
	assert.Equal(t, []string{"c3", "c4", "c5", "c6"}, third.ids(), "nothing inserted during the previous run is skipped")
	assert.Equal(t, []string{"customers=2024-01-05 00:00:00+00:00"}, third.checkpoints)
}

func TestCheck_PostgresBadDSNIsRedacted(t *testing.T) {
	s := &Settings{Dialect: "postgres", DSN: "postgres://revsync:hunter2@127.0.0.1:1/db?connect_timeout=2", Entities: map[string]EntitySettings{"customers": {Table: "c"}}}
	err := Connector{}.Check(context.Background(), cfgOf(s))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
}
