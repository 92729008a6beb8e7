package warehousetable

import (
	"fmt"
	"slices"
	"strings"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/connectors"
)

// DefaultBatchSize is how many rows are emitted between checkpoints by default.
const DefaultBatchSize = 5_000

// Settings are a warehouse source's settings.
type Settings struct {
	// Dialect is the database read from: postgres, duckdb or snowflake.
	Dialect string `yaml:"dialect"`
	// DSN connects to PostgreSQL (a pgx URL or key=value string) or Snowflake (a
	// gosnowflake DSN, user:password@account/database/schema?warehouse=WH). It is a
	// secret: never logged.
	DSN config.Secret `yaml:"dsn"`
	// Path is the DuckDB file, relative to the config file's folder; it is opened
	// read-only and must not be the revsync warehouse file.
	Path string `yaml:"path"`
	// BatchSize is how many rows of an entity are emitted between checkpoints
	// (default 5,000).
	BatchSize int `yaml:"batch_size"`
	// Entities maps a canonical entity name (customers, invoices, ...) to where its
	// rows are read.
	Entities map[string]EntitySettings `yaml:"entities"`
}

// EntitySettings say where one entity is read and how its columns map.
type EntitySettings struct {
	// Table is a table or view name, used as written in SQL (schema-qualify it or
	// quote it as the database needs: analytics.invoices, "Invoices").
	Table string `yaml:"table"`
	// Query is a SELECT whose rows are the entity's; exclusive with Table.
	Query string `yaml:"query"`
	// Columns maps a canonical field to its source column. A field without an entry is
	// read from a column of the same name when there is one.
	Columns map[string]string `yaml:"columns"`
	// Attributes lists source columns kept as custom attributes under their name.
	Attributes []string `yaml:"attributes"`
	// Cursor is a column whose values only grow when a row changes (updated_at, a
	// sequence): reads after the first resume at the saved cursor (>=).
	Cursor string `yaml:"cursor"`
}

// Validate checks the settings; each problem names the key and a fix.
func (s *Settings) Validate() []connectors.Problem {
	var ps []connectors.Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, connectors.Problem{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	switch s.Dialect {
	case "postgres", "snowflake":
		if strings.TrimSpace(s.DSN.Reveal()) == "" {
			add("dsn", "dsn is required for dialect %s: set it to the connection string (better from the environment: dsn: ${SOURCE_DSN})", s.Dialect)
		}
		if s.Path != "" {
			add("path", "path is only for dialect duckdb: remove it")
		}
	case "duckdb":
		if strings.TrimSpace(s.Path) == "" {
			add("path", "path is required for dialect duckdb: set it to the DuckDB file to read, like path: ./billing.duckdb")
		}
		if s.DSN != "" {
			add("dsn", "dsn is not used by dialect duckdb: remove it and set path")
		}
	case "":
		add("dialect", "dialect is required: use postgres, duckdb or snowflake")
	default:
		add("dialect", "%q is not a supported dialect: use postgres, duckdb or snowflake", s.Dialect)
	}
	if s.BatchSize < 0 {
		add("batch_size", "batch_size must be positive (or left out for %d)", DefaultBatchSize)
	}
	if len(s.Entities) == 0 {
		add("entities", "entities is empty: map at least one entity, like entities: {customers: {table: billing.customers}}")
	}
	for _, name := range sortedKeys(s.Entities) {
		es := s.Entities[name]
		key := "entities." + name
		schema := canonical.SchemaOf(canonical.Entity(name))
		if schema == nil {
			add(key, "%q is not an entity: use one of %s", name, entityNames())
			continue
		}
		switch {
		case strings.TrimSpace(es.Table) == "" && strings.TrimSpace(es.Query) == "":
			add(key, "set table (a table or view) or query (a SELECT) for %s", name)
		case es.Table != "" && es.Query != "":
			add(key, "set either table or query for %s, not both", name)
		}
		if strings.Contains(es.Query, ";") {
			add(key+".query", "the query must be one SELECT without a semicolon")
		}
		for _, field := range sortedKeys(es.Columns) {
			if !hasField(schema, field) {
				add(key+".columns."+field, "%q is not a field of %s: use one of %s", field, name, fieldNames(schema))
			} else if strings.TrimSpace(es.Columns[field]) == "" {
				add(key+".columns."+field, "the source column of %s is empty: name the column or remove the entry", field)
			}
		}
		for i, a := range es.Attributes {
			if strings.TrimSpace(a) == "" {
				add(fmt.Sprintf("%s.attributes[%d]", key, i), "an attribute column name is empty: remove it")
			}
		}
	}
	return ps
}

func hasField(s *canonical.Schema, name string) bool {
	if name == "external_id" {
		return true
	}
	for _, f := range s.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

func fieldNames(s *canonical.Schema) string {
	names := []string{"external_id"}
	for _, f := range s.Fields {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

func entityNames() string {
	names := make([]string, len(canonical.Entities))
	for i, e := range canonical.Entities {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
