package warehousetable

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
)

func TestSettings_Validate(t *testing.T) {
	ok := map[string]EntitySettings{"customers": {Table: "c"}}
	tests := []struct {
		name string
		s    Settings
		keys []string
	}{
		{"valid duckdb", Settings{Dialect: "duckdb", Path: "x.duckdb", Entities: ok}, nil},
		{"valid postgres", Settings{Dialect: "postgres", DSN: "postgres://x", Entities: ok}, nil},
		{"no dialect", Settings{Path: "x", Entities: ok}, []string{"dialect"}},
		{"bad dialect", Settings{Dialect: "mysql", Entities: ok}, []string{"dialect"}},
		{"postgres without dsn", Settings{Dialect: "postgres", Entities: ok}, []string{"dsn"}},
		{"duckdb without path, with dsn", Settings{Dialect: "duckdb", DSN: "x", Entities: ok}, []string{"path", "dsn"}},
		{"no entities", Settings{Dialect: "duckdb", Path: "x"}, []string{"entities"}},
		{"unknown entity", Settings{Dialect: "duckdb", Path: "x", Entities: map[string]EntitySettings{"clients": {Table: "c"}}}, []string{"entities.clients"}},
		{"table and query", Settings{Dialect: "duckdb", Path: "x", Entities: map[string]EntitySettings{"customers": {Table: "c", Query: "SELECT 1"}}}, []string{"entities.customers"}},
		{"neither table nor query", Settings{Dialect: "duckdb", Path: "x", Entities: map[string]EntitySettings{"customers": {}}}, []string{"entities.customers"}},
		{"unknown field", Settings{Dialect: "duckdb", Path: "x", Entities: map[string]EntitySettings{"customers": {Table: "c", Columns: map[string]string{"nme": "n"}}}}, []string{"entities.customers.columns.nme"}},
		{"semicolon", Settings{Dialect: "duckdb", Path: "x", Entities: map[string]EntitySettings{"customers": {Query: "SELECT 1; DROP TABLE x"}}}, []string{"entities.customers.query"}},
		{"negative batch", Settings{Dialect: "duckdb", Path: "x", BatchSize: -1, Entities: ok}, []string{"batch_size"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			for _, p := range tc.s.Validate() {
				keys = append(keys, p.Key)
				assert.NotEmpty(t, p.Message)
			}
			assert.Equal(t, tc.keys, keys)
		})
	}
}

const duckBilling = `CREATE TABLE crm_customers (id VARCHAR, full_name VARCHAR, signup TIMESTAMP, tier VARCHAR, seats INTEGER, score DECIMAL(10,4), updated_at TIMESTAMP)`

func TestRead_DuckDBColumnMappingTypesAndAttributes(t *testing.T) {
	path := duckFile(t, duckBilling,
		`INSERT INTO crm_customers VALUES ('c1', 'Ada "the first"', TIMESTAMP '2024-01-15 10:20:30.123456', 'gold', 5, 1.5000, TIMESTAMP '2024-02-01 00:00:00'),
		                                 ('c2', 'Bob', NULL, NULL, NULL, NULL, TIMESTAMP '2024-02-02 00:00:00')`,
		`CREATE TABLE inv (id VARCHAR, customer VARCHAR, issued DATE, cur VARCHAR, due TIMESTAMP)`,
		`INSERT INTO inv VALUES ('in1', 'c1', DATE '2024-01-31', 'usd', TIMESTAMP '2024-02-29 23:00:00')`,
		`CREATE TABLE lines (id VARCHAR, invoice_external_id VARCHAR, type VARCHAR, amount DECIMAL(18,4), tax_amount DECIMAL(38,10), quantity BIGINT, prorated BOOLEAN)`,
		`INSERT INTO lines VALUES ('l1', 'in1', 'one_time', 12345678901234.5678, 0.1000000000, 3, true)`)
	s := &Settings{Dialect: "duckdb", Path: path, Entities: map[string]EntitySettings{
		"customers":     {Table: "crm_customers", Columns: map[string]string{"external_id": "id", "name": "full_name", "created_at": "signup"}, Attributes: []string{"tier", "seats", "score"}},
		"invoices":      {Table: "inv", Columns: map[string]string{"external_id": "ID", "customer_external_id": "customer", "date": "issued", "currency": "cur", "due_date": "due"}},
		"invoice_lines": {Query: "SELECT id AS external_id, * EXCLUDE (id) FROM lines"},
	}}
	r := read(t, s, nil, nil)
	require.Empty(t, r.rejects)
	require.Len(t, r.records, 4)
	// canonical order: customers, invoices, invoice_lines
	assert.Equal(t, []string{"c1", "c2", "in1", "l1"}, r.ids())
	c1 := r.records[0]
	assert.Equal(t, canonical.Customers, c1.Entity)
	assert.Equal(t, map[string]string{"external_id": "c1", "name": `Ada "the first"`, "created_at": "2024-01-15T10:20:30.123456Z"}, c1.Fields)
	assert.Equal(t, "gold", c1.Attributes["tier"])
	assert.Equal(t, int64(5), c1.Attributes["seats"])
	assert.Equal(t, "1.5", c1.Attributes["score"].(interface{ String() string }).String())
	assert.Equal(t, map[string]string{"external_id": "c2", "name": "Bob"}, r.records[1].Fields, "NULLs are missing values")
	assert.Nil(t, r.records[1].Attributes)
	assert.Equal(t, map[string]string{"external_id": "in1", "customer_external_id": "c1", "date": "2024-01-31", "currency": "usd", "due_date": "2024-02-29"}, r.records[2].Fields,
		"a timestamp column mapped to a date field renders its date")
	assert.Equal(t, map[string]string{"external_id": "l1", "invoice_external_id": "in1", "type": "one_time", "amount": "12345678901234.5678",
		"tax_amount": "0.1000000000", "quantity": "3", "prorated": "true"}, r.records[3].Fields, "decimals exact, never through a float")
	assert.ElementsMatch(t, []canonical.Entity{canonical.Customers, canonical.Invoices, canonical.InvoiceLines}, r.snapshots, "full reads are snapshots")
	assert.Empty(t, r.checkpoints, "no cursor, no checkpoint")
}

func TestRead_DuckDBConfigErrorsNameTheKey(t *testing.T) {
	path := duckFile(t, duckBilling)
	tests := []struct {
		es   EntitySettings
		want string
	}{
		{EntitySettings{Table: "crm_customers", Columns: map[string]string{"external_id": "id", "name": "nom"}}, `entities.customers.columns.name: column "nom" is not in the table crm_customers`},
		{EntitySettings{Table: "crm_customers"}, "no external_id column"},
		{EntitySettings{Table: "crm_customers", Columns: map[string]string{"external_id": "id"}, Attributes: []string{"nope"}}, `entities.customers.attributes: column "nope"`},
		{EntitySettings{Table: "crm_customers", Columns: map[string]string{"external_id": "id"}, Cursor: "changed"}, `entities.customers.cursor: column "changed"`},
		{EntitySettings{Table: "no_such_table"}, "entities.customers: cannot read the table no_such_table"},
		{EntitySettings{Query: "SELEC id FROM crm_customers"}, "entities.customers: cannot read the query"},
	}
	for _, tc := range tests {
		s := &Settings{Dialect: "duckdb", Path: path, Entities: map[string]EntitySettings{"customers": tc.es}}
		err := Connector{}.Read(context.Background(), connectors.Config{Source: "src", Settings: s}, nil, &recorder{t: t})
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
		assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
		assert.Equal(t, connectors.KindConfig, connectors.KindOf(Connector{}.Check(context.Background(), connectors.Config{Source: "src", Settings: s})))
	}
}

func TestRead_DuckDBIncrementalCursor(t *testing.T) {
	path := duckFile(t, duckBilling,
		`INSERT INTO crm_customers (id, full_name, updated_at) VALUES
		   ('c1', 'A', TIMESTAMP '2024-01-01 00:00:00'), ('c2', 'B', TIMESTAMP '2024-01-02 00:00:00.5'),
		   ('c3', 'C', TIMESTAMP '2024-01-02 00:00:00.5'), ('c4', 'D', TIMESTAMP '2024-01-03 00:00:00'), ('c5', 'E', NULL)`)
	s := &Settings{Dialect: "duckdb", Path: path, BatchSize: 2, Entities: map[string]EntitySettings{
		"customers": {Table: "crm_customers", Columns: map[string]string{"external_id": "id", "name": "full_name"}, Cursor: "updated_at"},
	}}
	first := read(t, s, nil, nil)
	assert.Equal(t, []string{"c1", "c2", "c3", "c4", "c5"}, first.ids(), "a first read is full, ascending on the cursor (NULLs last)")
	assert.Equal(t, []string{"customers=2024-01-02 00:00:00.5", "customers=2024-01-03 00:00:00"}, first.checkpoints, "a checkpoint after each batch of 2 and at the end")
	assert.Equal(t, []canonical.Entity{canonical.Customers}, first.snapshots, "a full read is a snapshot")

	st := stateOf(nil, first)
	second := read(t, s, st, nil)
	assert.Equal(t, []string{"c4"}, second.ids(), "rows at the saved cursor are read again (>=)")
	assert.Empty(t, second.snapshots, "an incremental read is no snapshot")

	duckExec(t, path, `UPDATE crm_customers SET full_name = 'B2', updated_at = TIMESTAMP '2024-01-05 00:00:00' WHERE id = 'c2'`,
		`INSERT INTO crm_customers (id, full_name, updated_at) VALUES ('c6', 'F', TIMESTAMP '2024-01-04 00:00:00')`)
	third := read(t, s, stateOf(st, second), nil)
	assert.Equal(t, []string{"c4", "c6", "c2"}, third.ids())
	assert.Equal(t, "B2", third.records[2].Fields["name"])
	assert.Equal(t, []string{"customers=2024-01-04 00:00:00", "customers=2024-01-05 00:00:00"}, third.checkpoints)

	full := read(t, s, connectors.State{}, nil)
	assert.Len(t, full.ids(), 6, "empty state (--full) reads everything")
	assert.Equal(t, []canonical.Entity{canonical.Customers}, full.snapshots)
}

func TestRead_DuckDBCursorKinds(t *testing.T) {
	path := duckFile(t, `CREATE TABLE c (id VARCHAR, seq BIGINT, day DATE, amount DECIMAL(18,4), tz TIMESTAMPTZ)`,
		`INSERT INTO c VALUES ('a', 1, DATE '2024-01-01', 1.5, TIMESTAMPTZ '2024-01-01 10:00:00+00'), ('b', 2, DATE '2024-01-02', 2.25, TIMESTAMPTZ '2024-01-02 10:00:00.25+00')`)
	for _, tc := range []struct{ cursor, last string }{
		{"seq", "2"}, {"day", "2024-01-02"}, {"amount", "2.2500"}, {"tz", "2024-01-02 10:00:00.25+00:00"},
	} {
		t.Run(tc.cursor, func(t *testing.T) {
			s := &Settings{Dialect: "duckdb", Path: path, Entities: map[string]EntitySettings{"customers": {Table: "c", Columns: map[string]string{"external_id": "id"}, Cursor: tc.cursor}}}
			first := read(t, s, nil, nil)
			assert.Equal(t, []string{"customers=" + tc.last}, first.checkpoints)
			again := read(t, s, stateOf(nil, first), nil)
			assert.Equal(t, []string{"b"}, again.ids(), "the saved %s cursor casts back and compares", tc.cursor)
		})
	}
}
