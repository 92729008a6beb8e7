// Package sqlstore implements warehouse.Warehouse and warehouse.Tx once, on
// database/sql, for every SQL dialect: versioned migrations generated from the tables of
// warehouse/schema.go, deduplicated bulk upserts through staging tables, deletes,
// rejections, state, pruning, reference resolution, paged scans back into canonical
// records, atomic publication of result tables, and text rendering of ad-hoc queries.
// It must not contain anything specific to one database: everything that differs
// between warehouses goes through the small Dialect interface, and it never writes a
// CREATE TABLE by hand.
//
// # Adding a dialect
//
// A dialect package (warehouse/duckdb is the reference) opens a *sql.DB, implements
// Dialect, and wraps the result of New:
//
//   - Quote, Table, ColumnType, Placeholder: identifiers (always quoted; Table adds the
//     configured schema), the SQL type of each warehouse.Type (money DECIMAL(18,4), rates
//     DECIMAL(18,10)) and the bind-parameter style.
//   - Arg: converts neutral values (nil, string, canonical.Date, time.Time, int64, bool,
//     decimal.Decimal, json.RawMessage) into driver arguments, never through float64.
//   - Setup: statements run first by Migrate (CREATE SCHEMA IF NOT EXISTS …).
//   - CreateStaging and Load: a session-local staging table and the bulk path into it
//     (DuckDB: the appender; PostgreSQL: COPY; Snowflake: PUT + COPY INTO or array
//     binding). Load also appends rejected_records rows to the live table.
//   - Upsert: merge of a staging SELECT or a VALUES list (InsertOnConflict for
//     ON CONFLICT dialects; MERGE elsewhere).
//   - Publish: the statements that swap one result table inside the publication
//     transaction (ReplaceContents is DELETE + INSERT … SELECT; Snowflake may SWAP).
//   - DDLCommitter (optional): for databases whose DDL commits an open transaction
//     (Snowflake), Store runs the dialect's DDL before BEGIN and swaps published tables
//     after COMMIT, so no DDL ever runs inside a Store transaction.
//   - ReadExpr, Numeric, Text: how values are read back and rendered as text (FormatValue
//     does the common Go types; decimals must come out exactly).
//
// Optional capabilities, found by type assertion: TableCreator (own DDL for a live
// table), DirectInserter (bulk insert of new keys without staging, trying and falling
// back on a key violation), FreshInserter (bulk insert of keys Tx knows are new),
// DecimalScanner (exact conversion of the driver's DECIMAL values when reading),
// DDLCommitter (for databases whose DDL commits the open transaction), OwnerPager (how
// many customers Store.ScanByOwner reads per query, for drivers that materialise
// results). Store.ScanPage picks keyset-paged or single-query scans (Unpaged) to suit
// the database.
//
// Then run the shared behaviour tests against a real server. A new schema version is one
// more entry in migrations (migrate.go) plus warehouse.SchemaVersion.
package sqlstore
