// Package postgres is the PostgreSQL warehouse (SPEC §6) on jackc/pgx/v5: a
// sqlstore.Dialect, so the shared sqlstore.Store does migrations, upserts, state,
// pruning, reference resolution, scans, publication and queries, while this package
// supplies what is PostgreSQL's own: the schema (created if absent, quoted), column
// types (NUMERIC(18,4) money, NUMERIC(18,10) rates, DATE, TIMESTAMPTZ, JSONB), bulk loads
// with COPY into session-local temporary tables, upserts that rewrite only changed rows
// (ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM), publication serialised by table
// locks, and the single-runner advisory lock (warehouse.Locker).
//
// It must not hold business rules (they live in canonical, metrics and sqlstore) and it
// never logs or returns the DSN, which may hold a password.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/sqlstore"
)

// DefaultSchema is the schema used when none is configured.
const DefaultSchema = "revsync"

// Warehouse is an open PostgreSQL warehouse: the shared sqlstore.Store on a pgx
// connection pool, plus the advisory lock of warehouse.Locker.
type Warehouse struct {
	*sqlstore.Store
	schema string
	conn   *pgx.ConnConfig // copied for the lock's dedicated connections
}

var (
	_ warehouse.Warehouse = (*Warehouse)(nil)
	_ warehouse.Locker    = (*Warehouse)(nil)
)

// Open connects to the PostgreSQL server of dsn (a pgx DSN: URL or key=value), checks
// the connection, and creates schema (DefaultSchema when empty) if it is absent. It does
// not create tables: call Migrate. Unqualified names in Query resolve in schema first.
func Open(ctx context.Context, dsn, schema string) (*Warehouse, error) {
	if schema == "" {
		schema = DefaultSchema
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN (and its password): keep only the gist.
		return nil, fmt.Errorf("postgres: the dsn is not a valid PostgreSQL connection string (use postgres://user:pass@host:5432/db or host=... dbname=...): %s", redact(err, dsn))
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["search_path"] = sqlstore.QuoteDouble(schema) + ", public"
	cfg.RuntimeParams["timezone"] = "UTC"
	cfg.RuntimeParams["temp_buffers"] = "64MB"
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "revsync"
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to %s:%d database %q as %q: %s", cfg.Host, cfg.Port, cfg.Database, cfg.User, redact(err, dsn))
	}
	d := &Dialect{Schema: schema}
	for _, q := range d.Setup() {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("postgres: create schema %q: %w", schema, err)
		}
	}
	return &Warehouse{Store: sqlstore.New(db, d), schema: schema, conn: cfg.Copy()}, nil
}

// Schema returns the warehouse's schema name (unquoted).
func (w *Warehouse) Schema() string { return w.schema }

// redact renders err without the DSN's password, should the driver have quoted it.
func redact(err error, dsn string) string {
	msg := err.Error()
	if cfg, perr := pgx.ParseConfig(dsn); perr == nil && cfg.Password != "" {
		msg = strings.ReplaceAll(msg, cfg.Password, "xxxxx")
	}
	if dsn != "" {
		msg = strings.ReplaceAll(msg, dsn, "<dsn>")
	}
	return msg
}

// DB returns the database/sql pool (for the warehouse source and tests).
func (w *Warehouse) DB() *sql.DB { return w.Store.DB() }

var errNotPgx = errors.New("postgres: the connection is not a pgx connection")
