// Package warehousetable is the `warehouse` source type: it reads canonical entities
// from tables, views or SQL queries of an existing PostgreSQL, DuckDB or Snowflake
// database, with a column mapping per entity and incremental reads on a cursor column
// (>= the saved cursor, bounded above by the cursor's maximum read when the run starts,
// ascending, checkpointed after each batch). Values are rendered as the text forms
// canonical.Parse expects (YYYY-MM-DD dates, RFC 3339 timestamps, decimals exactly).
//
// It only reads (PostgreSQL sessions are read-only, DuckDB files are opened read-only)
// and never touches the revsync warehouse; it never logs the DSN, which may hold a
// password.
package warehousetable

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
)

// Type is the `type:` of a warehouse source.
const Type = "warehouse"

func init() { connectors.Register(Connector{}) }

// Connector reads canonical entities from database tables, views or queries.
type Connector struct{}

var _ connectors.Connector = Connector{}

// Spec describes the warehouse connector.
func (Connector) Spec() connectors.Spec {
	return connectors.Spec{
		Type:        Type,
		Description: "reads entities from tables, views or SQL queries of PostgreSQL, DuckDB or Snowflake",
		NewSettings: func() any { return &Settings{} },
	}
}

func settingsOf(cfg connectors.Config) (*Settings, error) {
	s, ok := cfg.Settings.(*Settings)
	if !ok || s == nil {
		return nil, connectors.ConfigError(fmt.Errorf("warehouse source %q: settings are a %T, not *warehousetable.Settings", cfg.Source, cfg.Settings))
	}
	if ps := s.Validate(); len(ps) > 0 {
		return nil, connectors.ConfigError(fmt.Errorf("warehouse source %q: %s: %s", cfg.Source, ps[0].Key, ps[0].Message))
	}
	return s, nil
}

// open connects to the source database and checks the connection.
func open(ctx context.Context, cfg connectors.Config, s *Settings) (*sql.DB, error) {
	var db *sql.DB
	switch s.Dialect {
	case "postgres":
		pc, err := pgx.ParseConfig(s.DSN.Reveal())
		if err != nil {
			return nil, connectors.ConfigError(fmt.Errorf("warehouse source %q: dsn is not a valid PostgreSQL connection string (use postgres://user:pass@host:5432/db)", cfg.Source))
		}
		if pc.RuntimeParams == nil {
			pc.RuntimeParams = map[string]string{}
		}
		pc.RuntimeParams["timezone"] = "UTC"
		pc.RuntimeParams["default_transaction_read_only"] = "on"
		pc.RuntimeParams["application_name"] = "revsync-source"
		db = stdlib.OpenDB(*pc)
	case "duckdb":
		path := s.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(cfg.BaseDir, path)
		}
		c, err := duckdb.NewConnector(path+"?access_mode=READ_ONLY", nil)
		if err != nil {
			return nil, connectors.ConfigError(fmt.Errorf("warehouse source %q: open DuckDB file %s read-only: %w", cfg.Source, path, err))
		}
		db = sql.OpenDB(c)
	case "snowflake":
		sc, err := sf.ParseDSN(s.DSN.Reveal())
		if err != nil {
			return nil, connectors.ConfigError(fmt.Errorf("warehouse source %q: dsn is not a valid Snowflake DSN (use user:password@account/database/schema?warehouse=WH)", cfg.Source))
		}
		utc := "UTC"
		if sc.Params == nil {
			sc.Params = map[string]*string{}
		}
		sc.Params["TIMEZONE"] = &utc
		db = sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, *sc))
	default:
		return nil, connectors.ConfigError(fmt.Errorf("warehouse source %q: unsupported dialect %q", cfg.Source, s.Dialect))
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, connectors.TransientError(fmt.Errorf("warehouse source %q: connect to %s: %s", cfg.Source, s.Dialect, redact(err, s)))
	}
	return db, nil
}

// redact renders err without the DSN or its password.
func redact(err error, s *Settings) string {
	msg := err.Error()
	dsn := s.DSN.Reveal()
	if dsn == "" {
		return msg
	}
	if s.Dialect == "postgres" {
		if pc, perr := pgx.ParseConfig(dsn); perr == nil && pc.Password != "" {
			msg = strings.ReplaceAll(msg, pc.Password, "xxxxx")
		}
	}
	if s.Dialect == "snowflake" {
		if sc, perr := sf.ParseDSN(dsn); perr == nil && sc.Password != "" {
			msg = strings.ReplaceAll(msg, sc.Password, "xxxxx")
		}
	}
	return strings.ReplaceAll(msg, dsn, "<dsn>")
}

// Check connects and resolves every entity's columns against its table or query.
func (Connector) Check(ctx context.Context, cfg connectors.Config) error {
	s, err := settingsOf(cfg)
	if err != nil {
		return err
	}
	db, err := open(ctx, cfg, s)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, e := range entitiesOf(s) {
		if _, err := plan(ctx, db, s.Dialect, cfg.Source, e, s.Entities[string(e)]); err != nil {
			return err
		}
	}
	return nil
}

// Discover lists one stream per configured entity, incremental when it has a cursor.
func (Connector) Discover(_ context.Context, cfg connectors.Config) ([]connectors.Stream, error) {
	s, err := settingsOf(cfg)
	if err != nil {
		return nil, err
	}
	var out []connectors.Stream
	for _, e := range entitiesOf(s) {
		out = append(out, connectors.Stream{Name: string(e), Entity: e, Incremental: s.Entities[string(e)].Cursor != ""})
	}
	return out, nil
}

// entitiesOf returns the configured entities in canonical order (referenced first).
func entitiesOf(s *Settings) []canonical.Entity {
	var out []canonical.Entity
	for _, e := range canonical.Entities {
		if _, ok := s.Entities[string(e)]; ok {
			out = append(out, e)
		}
	}
	return out
}

// Read emits every configured entity in canonical order. An entity with a cursor and
// a saved cursor in state is read incrementally; otherwise it is read whole and
// declared a complete snapshot.
func (Connector) Read(ctx context.Context, cfg connectors.Config, state connectors.State, emit connectors.Emitter) error {
	s, err := settingsOf(cfg)
	if err != nil {
		return err
	}
	db, err := open(ctx, cfg, s)
	if err != nil {
		return err
	}
	defer db.Close()
	batch := s.BatchSize
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	for _, e := range entitiesOf(s) {
		p, err := plan(ctx, db, s.Dialect, cfg.Source, e, s.Entities[string(e)])
		if err != nil {
			return err
		}
		if err := p.read(ctx, db, state[string(e)], batch, emit); err != nil {
			return err
		}
	}
	return nil
}
