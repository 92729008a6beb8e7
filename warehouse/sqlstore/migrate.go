package sqlstore

import (
	"context"
	"fmt"

	"github.com/revsync/revsync/warehouse"
)

// migration is one schema version: the statements that upgrade version-1 to version.
type migration struct {
	version    int
	statements func(d Dialect) []string
}

// migrations lists every schema version in order; warehouse.SchemaVersion is the last.
// A new version appends one step (ALTER TABLE …, CREATE TABLE …) and bumps
// warehouse.SchemaVersion; never edit a released step.
var migrations = []migration{
	{version: 1, statements: createAllTables},
}

// TableCreator is an optional Dialect capability: CreateTable returns the DDL of live
// table t when the default CreateTable does not suit the database (DuckDB leaves the
// key out of result tables, whose rows Publish deletes and re-inserts under concurrent
// readers, which its indexes do not support).
type TableCreator interface {
	CreateTable(t warehouse.Table) string
}

// createTable returns the DDL of live table t for d.
func createTable(d Dialect, t warehouse.Table) string {
	if tc, ok := d.(TableCreator); ok {
		return tc.CreateTable(t)
	}
	return CreateTable(d, t)
}

// createAllTables is version 1: every canonical, system and result table of schema.go.
func createAllTables(d Dialect) []string {
	var stmts []string
	for _, group := range [][]warehouse.Table{warehouse.SystemTables(), warehouse.CanonicalTables(), warehouse.ResultTables()} {
		for _, t := range group {
			stmts = append(stmts, createTable(d, t))
		}
	}
	return stmts
}

// Migrate creates or upgrades the schema to warehouse.SchemaVersion, one version per
// transaction, recording each in schema_migrations. It is idempotent and refuses a
// warehouse whose schema is newer than this build.
func (s *Store) Migrate(ctx context.Context) error {
	if last := migrations[len(migrations)-1].version; last != warehouse.SchemaVersion {
		return fmt.Errorf("sqlstore: migrations end at version %d but warehouse.SchemaVersion is %d", last, warehouse.SchemaVersion)
	}
	for _, q := range s.d.Setup() {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: migrate: %s: %w", s.d.Name(), abbreviate(q), err)
		}
	}
	if _, err := s.db.ExecContext(ctx, createTable(s.d, warehouse.SchemaMigrations)); err != nil {
		return fmt.Errorf("%s: migrate: create schema_migrations: %w", s.d.Name(), err)
	}
	current, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if current > warehouse.SchemaVersion {
		return fmt.Errorf("%s: the warehouse schema is version %d, newer than this revsync understands (%d): upgrade revsync",
			s.d.Name(), current, warehouse.SchemaVersion)
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		if err := s.applyMigration(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, m migration) error {
	sess, err := s.session(ctx)
	if err != nil {
		return err
	}
	if err := execAll(ctx, sess.Tx, m.statements(s.d)...); err != nil {
		endSession(sess, false)
		return fmt.Errorf("%s: migrate to version %d: %w", s.d.Name(), m.version, err)
	}
	if err := s.upsertRow(ctx, sess.Tx, warehouse.SchemaMigrations, []any{int64(m.version), s.now()}); err != nil {
		endSession(sess, false)
		return fmt.Errorf("migrate to version %d: %w", m.version, err)
	}
	if err := endSession(sess, true); err != nil {
		return fmt.Errorf("%s: migrate to version %d: commit: %w", s.d.Name(), m.version, err)
	}
	return nil
}

// SchemaVersion returns the highest applied schema version, 0 for an empty warehouse
// (schema_migrations must exist).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int64
	q := fmt.Sprintf("SELECT COALESCE(MAX(%s), 0) FROM %s", s.d.Quote("version"), s.d.Table(warehouse.SchemaMigrations.Name))
	if err := s.db.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return 0, fmt.Errorf("%s: read schema_migrations: %w", s.d.Name(), err)
	}
	return int(v), nil
}
